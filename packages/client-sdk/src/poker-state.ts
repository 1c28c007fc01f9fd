/**
 * Keeps a planning-poker session's state current from the server's incremental events, so
 * an app can render `PokerSession` without handling each `poker:*` event itself.
 *
 * @example
 * let session = (await client.request('poker:join', { sessionId })).data.session;
 * followPokerSession(client, sessionId, () => session, (next) => { session = next; render(session); });
 */
import type { PokerSession, ServerEventName, ServerPayload } from '@tavern/protocol';
import type { TavernClient } from './create-client.js';

type PokerEventName = Extract<ServerEventName, `poker:${string}`>;

/** Each poker event and what it does to a session (events of other sessions are ignored). */
export const pokerReducers: { [E in PokerEventName]: (session: PokerSession, event: ServerPayload<E>) => PokerSession } = {
  'poker:player:joined': (session, { player }) => ({ ...session, players: [...session.players.filter((p) => p.id !== player.id), player] }),
  'poker:player:updated': (session, { player }) => ({ ...session, players: session.players.map((p) => (p.id === player.id ? player : p)) }),
  'poker:player:left': (session, { player }) => ({ ...session, players: session.players.filter((p) => p.id !== player.id) }),
  'poker:voted': (session, { playerId, hasVoted }) => ({ ...session, players: session.players.map((p) => (p.id === playerId ? { ...p, hasVoted } : p)) }),
  'poker:revealed': (session, { votes, consensus }) => ({ ...session, revealed: true, votes, consensus }),
  'poker:reset': (session) => clearVotes(session),
  'poker:story': (session, { story }) => ({ ...clearVotes(session), story }),
  'poker:timer': (session, { endsAt }) => ({ ...session, timer: { endsAt } }),
  'poker:facilitator:changed': (session, { facilitatorId }) => ({ ...session, facilitatorId }),
};

function clearVotes({ votes: _votes, consensus: _consensus, ...session }: PokerSession): PokerSession {
  return { ...session, revealed: false, players: session.players.map((p) => ({ ...p, hasVoted: false })) };
}

/**
 * Applies every poker event of `sessionId` to the state `current()` returns and hands the
 * result to `onState`. Returns a function that stops listening.
 */
export function followPokerSession(
  client: TavernClient,
  sessionId: string,
  current: () => PokerSession | null,
  onState: (session: PokerSession) => void,
): () => void {
  const stops = (Object.keys(pokerReducers) as PokerEventName[]).map((event) =>
    client.on(event, (payload: ServerPayload<PokerEventName>) => {
      const session = current();
      if (!session || payload.sessionId !== sessionId) return;
      const reduce = pokerReducers[event] as (session: PokerSession, event: ServerPayload<PokerEventName>) => PokerSession;
      onState(reduce(session, payload));
    }),
  );
  return () => {
    for (const stop of stops) stop();
  };
}
