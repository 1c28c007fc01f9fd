/**
 * The protocol's domains in reading order (the sections of PROTOCOL.md), for the generated
 * AsyncAPI document and Markdown reference. Each lists the event maps its domain file exports;
 * a test checks that together they hold every event exactly once.
 */
import { chatCommands, chatServerEvents, chatSignals } from './chat.js';
import { combatCommands, combatServerEvents } from './combat.js';
import type { ClientEventName, ServerEventName } from './events.js';
import { lobbyCommands, lobbyServerEvents } from './lobby.js';
import { matchmakingCommands, matchmakingServerEvents } from './matchmaking.js';
import { notificationCommands, notificationServerEvents } from './notifications.js';
import { partyCommands, partyServerEvents } from './party.js';
import { pokerCommands, pokerServerEvents } from './poker.js';
import { presenceCommands, presenceServerEvents } from './presence.js';
import { sessionCommands, sessionServerEvents } from './session.js';
import { worldCommands, worldServerEvents, worldSignals } from './world.js';

export interface ProtocolDomain {
  /** Short lowercase id, used as the AsyncAPI tag. */
  id: string;
  title: string;
  description: string;
  clientEvents: readonly ClientEventName[];
  serverEvents: readonly ServerEventName[];
}

type KeysOf<T> = T extends object ? Extract<keyof T, string> : never;

function names<M extends object[]>(...maps: M): KeysOf<M[number]>[] {
  return maps.flatMap((map) => Object.keys(map) as KeysOf<M[number]>[]);
}

export const protocolDomains: readonly ProtocolDomain[] = [
  {
    id: 'session',
    title: 'Session and system',
    description: 'Authentication, clock sync, errors, rate limiting and server-wide messages.',
    clientEvents: names(sessionCommands),
    serverEvents: names(sessionServerEvents),
  },
  {
    id: 'presence',
    title: 'Presence',
    description: 'Online status of users: `online` `away` `busy` `invisible` `offline`.',
    clientEvents: names(presenceCommands),
    serverEvents: names(presenceServerEvents),
  },
  {
    id: 'chat',
    title: 'Chat',
    description: 'Channels, messages with per-channel sequence numbers, resume, receipts and typing.',
    clientEvents: names(chatCommands, chatSignals),
    serverEvents: names(chatServerEvents),
  },
  {
    id: 'world',
    title: 'World',
    description: 'Zones, server-owned positions, snapshots, actions and status.',
    clientEvents: names(worldCommands, worldSignals),
    serverEvents: names(worldServerEvents),
  },
  {
    id: 'combat',
    title: 'Combat',
    description: 'Server-authoritative, turn-based combat.',
    clientEvents: names(combatCommands),
    serverEvents: names(combatServerEvents),
  },
  {
    id: 'party',
    title: 'Parties',
    description: 'Small groups with a leader.',
    clientEvents: names(partyCommands),
    serverEvents: names(partyServerEvents),
  },
  {
    id: 'lobby',
    title: 'Lobbies',
    description: 'A host, members who ready up, settings, and a start.',
    clientEvents: names(lobbyCommands),
    serverEvents: names(lobbyServerEvents),
  },
  {
    id: 'matchmaking',
    title: 'Matchmaking',
    description: 'Matchmaking tickets; a match makes a lobby.',
    clientEvents: names(matchmakingCommands),
    serverEvents: names(matchmakingServerEvents),
  },
  {
    id: 'notification',
    title: 'Notifications',
    description: 'Stored notifications with an unread count; those created while offline are counted on the next connect.',
    clientEvents: names(notificationCommands),
    serverEvents: names(notificationServerEvents),
  },
  {
    id: 'poker',
    title: 'Planning poker',
    description: 'Hidden votes revealed together, with consensus figures.',
    clientEvents: names(pokerCommands),
    serverEvents: names(pokerServerEvents),
  },
];
