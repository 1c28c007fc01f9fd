/** Lobbies: a host, members who ready up, settings, and a start. */
import { z } from 'zod';
import { DisplayName, Empty, Id, Member } from './common.js';
import { command, defineSlice, event } from './define.js';

export const LobbyStatus = z.enum(['forming', 'ready', 'active', 'closed']);
export type LobbyStatus = z.infer<typeof LobbyStatus>;

export const SettingValue = z.union([z.string().max(256), z.number().finite(), z.boolean()]);
export const LobbySettings = z
  .record(z.string().min(1).max(64), SettingValue)
  .refine((settings) => Object.keys(settings).length <= 32, 'at most 32 settings');
export type LobbySettings = z.infer<typeof LobbySettings>;

export const LobbyMember = Member.extend({ ready: z.boolean() });
export type LobbyMember = z.infer<typeof LobbyMember>;

export const Lobby = z.object({
  id: Id,
  hostId: Id,
  status: LobbyStatus,
  members: z.array(LobbyMember),
  settings: LobbySettings,
  maxPlayers: z.number().int().min(2).max(64),
  name: z.string().optional(),
  mode: Id.optional(),
  visibility: z.enum(['public', 'private']).optional(),
});
export type Lobby = z.infer<typeof Lobby>;

export const LobbyCreatePayload = z.object({
  name: DisplayName.optional(),
  mode: Id.optional(),
  maxPlayers: z.number().int().min(2).max(64),
  visibility: z.enum(['public', 'private']).optional(),
});
export const LobbyIdPayload = z.object({ lobbyId: Id });
export const LobbyResult = z.object({ lobby: Lobby });
export const LobbyReadyPayload = z.object({ lobbyId: Id, ready: z.boolean() });
export const LobbyKickPayload = z.object({ lobbyId: Id, userId: Id });
export const LobbySettingsPayload = z.object({ lobbyId: Id, settings: LobbySettings });

export const LobbyUpdate = z.object({ lobby: Lobby });
export const LobbyMemberJoined = z.object({ lobbyId: Id, member: LobbyMember });
export const LobbyMemberLeft = z.object({ lobbyId: Id, userId: Id });
export const LobbyMemberReady = z.object({ lobbyId: Id, userId: Id, ready: z.boolean() });
export const LobbyHostChanged = z.object({ lobbyId: Id, hostId: Id });
export const LobbyClosed = z.object({ lobbyId: Id, reason: z.string() });
export const LobbyStarted = z.object({ lobbyId: Id });

export const lobbyCommands = {
  'lobby:create': command(LobbyCreatePayload, LobbyResult, { description: 'Creates a lobby with you as host.' }),
  'lobby:join': command(LobbyIdPayload, LobbyResult, { description: 'Joins a lobby.' }),
  'lobby:leave': command(LobbyIdPayload, Empty, { description: 'Leaves a lobby.' }),
  'lobby:subscribe': command(LobbyIdPayload, LobbyResult, { description: "Answers a lobby's current state to a member, e.g. after a reconnect." }),
  'lobby:ready': command(LobbyReadyPayload, Empty, { description: 'Sets whether you are ready.' }),
  'lobby:kick': command(LobbyKickPayload, Empty, { description: 'Removes a member from the lobby (host only).' }),
  'lobby:settings': command(LobbySettingsPayload, LobbyResult, { description: "Changes the lobby's settings (host only)." }),
  'lobby:start': command(LobbyIdPayload, Empty, { description: 'Starts the game when everyone is ready (host only); then `lobby:started`.' }),
};

export const lobbyServerEvents = {
  'lobby:update': event(LobbyUpdate, "The lobby's full state after a change."),
  'lobby:member:joined': event(LobbyMemberJoined, 'A member joined the lobby.'),
  'lobby:member:left': event(LobbyMemberLeft, 'A member left the lobby.'),
  'lobby:member:kicked': event(LobbyMemberLeft, 'A member was kicked from the lobby.'),
  'lobby:member:ready': event(LobbyMemberReady, 'A member changed their ready state.'),
  'lobby:host:changed': event(LobbyHostChanged, 'The host left and another member took over.'),
  'lobby:closed': event(LobbyClosed, 'The lobby was closed.'),
  'lobby:started': event(LobbyStarted, 'The host started the game.'),
};

export const lobbySlice = defineSlice({
  id: 'lobby',
  title: 'Lobbies',
  description: 'A host, members who ready up, settings, and a start.',
  commands: lobbyCommands,
  serverEvents: lobbyServerEvents,
});
