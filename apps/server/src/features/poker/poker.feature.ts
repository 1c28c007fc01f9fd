/**
 * Planning poker: sessions made on first join (the first joiner facilitates), hidden votes
 * (no client receives a value before the reveal: events carry counts only), reveal with
 * consensus, reset, stories, a timer whose end is in server time, and players who drop
 * staying `connected: false` for a grace period with their vote kept. State lives in the
 * record store, so every member on every node sees the same session.
 */
import { DEFAULT_DECK, ErrorCode, rooms, type Consensus, type PokerPlayer, type PokerSession, type PokerVote, type Story, pokerSlice } from '@tavern/protocol';
import { AppError, createRecordStore, defineFeature, forbidden, notFound, precondition, randomId, updateOrRefuse, type AuthUser } from '../../api.js';
import { pokerSettings } from './poker.settings.js';

interface PlayerRecord {
  id: string;
  name: string;
  avatar?: string;
  role: 'player' | 'observer';
  connected: boolean;
  joinedAt: number;
  disconnectedAt?: number;
}

interface SessionRecord {
  id: string;
  facilitatorId: string;
  players: PlayerRecord[];
  story: Story | null;
  deck: string[];
  revealed: boolean;
  votes: Record<string, { value: string; confidence?: number }>;
  timerEndsAt: number | null;
}

const POKER_PREFIX = rooms.poker('');

/** Average and median of the numeric votes, the most common value, and how many agree on it. */
export function consensusOf(votes: readonly { value: string }[]): Consensus {
  const numbers = votes.map((vote) => Number(vote.value)).filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  const average = numbers.length ? Math.round((numbers.reduce((sum, value) => sum + value, 0) / numbers.length) * 100) / 100 : null;
  const mid = Math.floor(numbers.length / 2);
  const median = numbers.length === 0 ? null : numbers.length % 2 ? numbers[mid]! : (numbers[mid - 1]! + numbers[mid]!) / 2;
  const counts = new Map<string, number>();
  for (const vote of votes) counts.set(vote.value, (counts.get(vote.value) ?? 0) + 1);
  let mode: string | null = null;
  let best = 0;
  for (const [value, count] of counts) {
    if (count > best) {
      mode = value;
      best = count;
    }
  }
  return { average, median, mode, agreement: votes.length ? Math.round((best / votes.length) * 100) / 100 : 0 };
}

function nextFacilitator(players: readonly PlayerRecord[]): string | undefined {
  const byAge = [...players].sort((a, b) => a.joinedAt - b.joinedAt);
  return (byAge.find((player) => player.role === 'player') ?? byAge[0])?.id;
}

export const pokerFeature = defineFeature({
  name: 'poker',
  slice: pokerSlice,
  settings: pokerSettings,
  create: ({ redis, realtime, rooms: roomService, logger: log, settings, emitTo }) => {
    const store = createRecordStore<SessionRecord>(redis, 'poker', { ttlMs: settings.ttlMs });
    const pendingRemoval = new Map<string, NodeJS.Timeout>();
    roomService.setPolicy('poker', async (user, room) => (await store.get(room.id))?.players.some((player) => player.id === user.userId) ?? false);

    const playerView = (session: SessionRecord, player: PlayerRecord): PokerPlayer => ({
      id: player.id,
      name: player.name,
      ...(player.avatar !== undefined && { avatar: player.avatar }),
      role: player.role,
      connected: player.connected,
      hasVoted: Object.hasOwn(session.votes, player.id),
    });

    function votesOf(session: SessionRecord): PokerVote[] {
      return Object.entries(session.votes).map(([playerId, vote]) => ({ playerId, value: vote.value, ...(vote.confidence !== undefined && { confidence: vote.confidence }) }));
    }

    function view(session: SessionRecord): PokerSession {
      return {
        id: session.id,
        facilitatorId: session.facilitatorId,
        players: session.players.map((player) => playerView(session, player)),
        story: session.story,
        deck: session.deck,
        revealed: session.revealed,
        // Values only after the reveal: before it, nobody (the voter included) gets them back.
        ...(session.revealed && { votes: votesOf(session), consensus: consensusOf(votesOf(session)) }),
        timer: { endsAt: session.timerEndsAt },
      };
    }

    const change = (sessionId: string, apply: (session: SessionRecord) => SessionRecord | null) =>
      updateOrRefuse(store, sessionId, () => notFound(`poker session ${sessionId}`), apply);

    const member = (session: SessionRecord, user: AuthUser) => {
      const player = session.players.find((each) => each.id === user.userId);
      if (!player) throw forbidden('join the session first');
      return player;
    };
    const facilitatorOnly = (session: SessionRecord, user: AuthUser) => {
      member(session, user);
      if (session.facilitatorId !== user.userId) throw forbidden('only the facilitator may do that');
    };

    /** Removes a player; hands over facilitation; an empty session is deleted. */
    async function removePlayer(sessionId: string, userId: string): Promise<void> {
      let removed: PlayerRecord | undefined;
      let previousFacilitator = '';
      const session = await store.update(sessionId, (current) => {
        if (!current) return null;
        removed = current.players.find((player) => player.id === userId);
        previousFacilitator = current.facilitatorId;
        if (!removed) return current;
        const players = current.players.filter((player) => player.id !== userId);
        if (players.length === 0) return null;
        const votes = { ...current.votes };
        delete votes[userId];
        return { ...current, players, votes, facilitatorId: current.facilitatorId === userId ? nextFacilitator(players)! : current.facilitatorId };
      });
      if (!removed) return;
      roomService.leaveUser(userId, rooms.poker(sessionId));
      if (!session) return;
      emitTo(rooms.poker(sessionId), 'poker:player:left', { sessionId, player: { ...playerView(session, removed), hasVoted: false }, playerCount: session.players.length });
      if (session.facilitatorId !== previousFacilitator) emitTo(rooms.poker(sessionId), 'poker:facilitator:changed', { sessionId, facilitatorId: session.facilitatorId });
    }

    return {
      handlers: {
        'poker:join': async ({ socket, user }, { sessionId, name, avatar, role }) => {
          roomService.assertCanJoin(socket, rooms.poker(sessionId));
          clearTimeout(pendingRemoval.get(`${sessionId}\n${user.userId}`));
          pendingRemoval.delete(`${sessionId}\n${user.userId}`);
          let event: 'poker:player:joined' | 'poker:player:updated' = 'poker:player:joined';
          let full = false;
          const session = await store.update(sessionId, (current) => {
            const base: SessionRecord = current ?? { id: sessionId, facilitatorId: user.userId, players: [], story: null, deck: [...DEFAULT_DECK], revealed: false, votes: {}, timerEndsAt: null };
            const existing = base.players.find((player) => player.id === user.userId);
            full = !existing && base.players.length >= settings.maxPlayers;
            if (full) return current;
            event = existing ? 'poker:player:updated' : 'poker:player:joined';
            const player: PlayerRecord = {
              id: user.userId,
              name: name ?? existing?.name ?? user.name,
              ...((avatar ?? existing?.avatar) !== undefined && { avatar: (avatar ?? existing?.avatar)! }),
              role: role ?? existing?.role ?? 'player',
              // A returning player is connected again, with their vote kept.
              connected: true,
              joinedAt: existing?.joinedAt ?? Date.now(),
            };
            return { ...base, players: [...base.players.filter((each) => each.id !== user.userId), player] };
          });
          if (full) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `a session holds at most ${settings.maxPlayers} players`);
          roomService.joinUser(user.userId, rooms.poker(sessionId));
          const me = session!.players.find((player) => player.id === user.userId)!;
          emitTo(rooms.poker(sessionId), event, { sessionId, player: playerView(session!, me), playerCount: session!.players.length });
          return { session: view(session!) };
        },
        'poker:leave': async ({ user }, { sessionId }) => {
          await removePlayer(sessionId, user.userId);
          return {};
        },
        'poker:vote': async ({ user }, { sessionId, storyId, value, confidence }) => {
          const session = await change(sessionId, (current) => {
            const player = member(current, user);
            if (player.role !== 'player') throw forbidden('observers do not vote');
            if (current.revealed) throw precondition('the votes are revealed; reset to vote again');
            if (!current.story || current.story.id !== storyId) throw precondition('that is not the current story');
            if (!current.deck.includes(value)) throw new AppError(ErrorCode.INVALID_PAYLOAD, `${value} is not in the deck`);
            return { ...current, votes: { ...current.votes, [user.userId]: { value, ...(confidence !== undefined && { confidence }) } } };
          });
          emitTo(rooms.poker(sessionId), 'poker:voted', { sessionId, playerId: user.userId, hasVoted: true, voteCount: Object.keys(session!.votes).length });
          return {};
        },
        'poker:reveal': async ({ user }, { sessionId }) => {
          const session = await change(sessionId, (current) => {
            facilitatorOnly(current, user);
            return { ...current, revealed: true, timerEndsAt: null };
          });
          const votes = votesOf(session!);
          emitTo(rooms.poker(sessionId), 'poker:revealed', { sessionId, votes, consensus: consensusOf(votes) });
          return {};
        },
        'poker:reset': async ({ user }, { sessionId }) => {
          await change(sessionId, (current) => {
            facilitatorOnly(current, user);
            return { ...current, revealed: false, votes: {}, timerEndsAt: null };
          });
          emitTo(rooms.poker(sessionId), 'poker:reset', { sessionId });
          return {};
        },
        'poker:story': async ({ user }, { sessionId, title, description }) => {
          const story: Story = { id: `s${randomId(6)}`, title, ...(description !== undefined && { description }) };
          await change(sessionId, (current) => {
            facilitatorOnly(current, user);
            return { ...current, story, revealed: false, votes: {} };
          });
          emitTo(rooms.poker(sessionId), 'poker:story', { sessionId, story });
          return { story };
        },
        'poker:timer': async ({ user }, { sessionId, action, seconds }) => {
          const endsAt = action === 'start' ? Date.now() + (seconds ?? 60) * 1000 : null;
          await change(sessionId, (current) => {
            facilitatorOnly(current, user);
            return { ...current, timerEndsAt: endsAt };
          });
          emitTo(rooms.poker(sessionId), 'poker:timer', { sessionId, endsAt });
          return { endsAt };
        },
        'poker:player:update': async ({ user }, { sessionId, name, avatar }) => {
          const session = await change(sessionId, (current) => {
            member(current, user);
            return {
              ...current,
              players: current.players.map((player) =>
                player.id === user.userId ? { ...player, ...(name !== undefined && { name }), ...(avatar !== undefined && { avatar }) } : player,
              ),
            };
          });
          const me = session!.players.find((player) => player.id === user.userId)!;
          emitTo(rooms.poker(sessionId), 'poker:player:updated', { sessionId, player: playerView(session!, me), playerCount: session!.players.length });
          return {};
        },
      },
      stop() {
        for (const timer of pendingRemoval.values()) clearTimeout(timer);
      },
      onDisconnect(socket, _reason, joined) {
        const { userId } = socket.data.user;
        const sessions = [...joined].filter((room) => room.startsWith(POKER_PREFIX)).map((room) => room.slice(POKER_PREFIX.length));
        if (sessions.length === 0) return;
        void (async () => {
          if (await realtime.isUserOnline(userId)) return; // another socket keeps them in
          for (const sessionId of sessions) {
            const session = await store.update(sessionId, (current) =>
              current && { ...current, players: current.players.map((player) => (player.id === userId ? { ...player, connected: false, disconnectedAt: Date.now() } : player)) },
            );
            const player = session?.players.find((each) => each.id === userId);
            if (!session || !player) continue;
            emitTo(rooms.poker(sessionId), 'poker:player:updated', { sessionId, player: playerView(session, player), playerCount: session.players.length });
            const key = `${sessionId}\n${userId}`;
            const timer = setTimeout(() => {
              pendingRemoval.delete(key);
              void (async () => {
                const latest = await store.get(sessionId);
                if (latest?.players.find((each) => each.id === userId)?.connected === false) await removePlayer(sessionId, userId);
              })().catch((error: unknown) => log.warn({ err: error, sessionId }, 'could not remove a player after the grace period'));
            }, settings.graceMs);
            timer.unref();
            pendingRemoval.set(key, timer);
          }
        })().catch((error: unknown) => log.warn({ err: error }, 'could not mark a poker player disconnected'));
      },
    };
  },
});
