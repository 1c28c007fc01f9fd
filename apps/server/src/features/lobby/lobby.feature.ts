/**
 * Lobbies: a host, members who ready up, settings, and a start. The lobby lives in the
 * record store (compare-and-set), so any node serves any member and concurrent changes from
 * several nodes never lose an update. Lobby chat is the `lobby:{id}` channel.
 */
import { ErrorCode, rooms, type Lobby, type LobbySettings, lobbySlice } from '@tavern/protocol';
import { AppError, createRecordStore, defineFeature, forbidden, notFound, precondition, randomId, updateOrRefuse, withStatus, type AuthUser } from '../../api.js';
import { lobbySettings } from './lobby.settings.js';

interface LobbyMemberRecord {
  userId: string;
  name: string;
  ready: boolean;
  joinedAt: number;
}

interface LobbyRecord {
  id: string;
  hostId: string;
  status: Lobby['status'];
  members: LobbyMemberRecord[];
  settings: LobbySettings;
  maxPlayers: number;
  name?: string;
  mode?: string;
  visibility?: 'public' | 'private';
}

export interface LobbyService {
  /** Makes a lobby with these members already in it (matchmaking). */
  createWith(members: readonly { userId: string; name: string }[], options: { mode: string; maxPlayers: number }): Promise<string>;
}

declare module '../feature.js' {
  interface TavernServices {
    lobbies: LobbyService;
  }
}

const LOBBY_PREFIX = rooms.lobby('');

function statusOf(lobby: LobbyRecord): Lobby['status'] {
  if (lobby.status === 'active' || lobby.status === 'closed') return lobby.status;
  return lobby.members.length >= 2 && lobby.members.every((member) => member.ready) ? 'ready' : 'forming';
}

export const lobbyFeature = defineFeature({
  name: 'lobby',
  slice: lobbySlice,
  settings: lobbySettings,
  create: ({ redis, realtime, logger: log, rooms: roomService, services, emitTo, settings }) => {
    const store = createRecordStore<LobbyRecord>(redis, 'lobby', { ttlMs: settings.ttlMs });
    /** Members whose last socket closed, by user: when they leave unless they come back. */
    const pendingLeave = new Map<string, { timer: NodeJS.Timeout; lobbyIds: ReadonlySet<string> }>();
    roomService.setPolicy('lobby', async (user, room) => (await store.get(room.id))?.members.some((member) => member.userId === user.userId) ?? false);

    async function view(lobby: LobbyRecord): Promise<Lobby> {
      return {
        id: lobby.id,
        hostId: lobby.hostId,
        status: lobby.status,
        members: await withStatus(services.find('presence'), lobby.members.map(({ userId, name, ready }) => ({ userId, name, ready }))),
        settings: lobby.settings,
        maxPlayers: lobby.maxPlayers,
        ...(lobby.name !== undefined && { name: lobby.name }),
        ...(lobby.mode !== undefined && { mode: lobby.mode }),
        ...(lobby.visibility !== undefined && { visibility: lobby.visibility }),
      };
    }

    async function broadcast(lobby: LobbyRecord): Promise<Lobby> {
      const shown = await view(lobby);
      emitTo(rooms.lobby(lobby.id), 'lobby:update', { lobby: shown });
      return shown;
    }

    /** Applies a change that needs the caller to be a member (and, optionally, the host). */
    async function change(user: AuthUser, lobbyId: string, hostOnly: boolean, apply: (lobby: LobbyRecord) => LobbyRecord | null): Promise<LobbyRecord | null> {
      return updateOrRefuse(store, lobbyId, () => notFound(`lobby ${lobbyId}`), (lobby) => {
        if (!lobby.members.some((member) => member.userId === user.userId)) throw forbidden('you are not in this lobby');
        if (hostOnly && lobby.hostId !== user.userId) throw forbidden('only the host may do that');
        return apply(lobby);
      });
    }

    /** Removes a member: the longest-present member becomes host; an empty lobby closes. */
    async function remove(user: AuthUser, lobbyId: string, userId: string, kicked: boolean): Promise<void> {
      let previousHost = '';
      const lobby = await change(user, lobbyId, kicked, (current) => {
        previousHost = current.hostId;
        if (!current.members.some((member) => member.userId === userId)) throw notFound(`member ${userId}`);
        const members = current.members.filter((member) => member.userId !== userId);
        if (members.length === 0) return null;
        const hostId = current.hostId === userId ? [...members].sort((a, b) => a.joinedAt - b.joinedAt)[0]!.userId : current.hostId;
        const next = { ...current, members, hostId };
        return { ...next, status: statusOf(next) };
      });
      emitTo([rooms.lobby(lobbyId), rooms.user(userId)], kicked ? 'lobby:member:kicked' : 'lobby:member:left', { lobbyId, userId });
      roomService.leaveUser(userId, rooms.lobby(lobbyId));
      if (!lobby) {
        emitTo([rooms.lobby(lobbyId), rooms.user(userId)], 'lobby:closed', { lobbyId, reason: 'empty' });
        roomService.closeRoom(rooms.lobby(lobbyId));
        return;
      }
      if (lobby.hostId !== previousHost) emitTo(rooms.lobby(lobbyId), 'lobby:host:changed', { lobbyId, hostId: lobby.hostId });
      await broadcast(lobby);
    }

    async function create(
      members: readonly { userId: string; name: string }[],
      options: Omit<LobbyRecord, 'id' | 'hostId' | 'status' | 'members' | 'settings'>,
      id = `l${randomId(9)}`,
    ): Promise<LobbyRecord> {
      const now = Date.now();
      const lobby = await store.update(id, () => ({
        id,
        hostId: members[0]!.userId,
        status: 'forming',
        members: members.map((member, i) => ({ ...member, ready: false, joinedAt: now + i })),
        settings: {},
        ...options,
      }));
      for (const member of members) roomService.joinUser(member.userId, rooms.lobby(id));
      return lobby!;
    }

    services.provide('lobbies', {
      async createWith(members, { mode, maxPlayers }) {
        return (await create(members, { mode, maxPlayers: Math.max(2, Math.min(64, maxPlayers)) })).id;
      },
    });

    return {
      handlers: {
        'lobby:create': async ({ socket, user }, { name, mode, maxPlayers, visibility }) => {
          const id = `l${randomId(9)}`;
          roomService.assertCanJoin(socket, rooms.lobby(id));
          const lobby = await create(
            [{ userId: user.userId, name: user.name }],
            {
              maxPlayers,
              ...(name !== undefined && { name }),
              ...(mode !== undefined && { mode }),
              ...(visibility !== undefined && { visibility }),
            },
            id,
          );
          return { lobby: await view(lobby) };
        },
        'lobby:join': async ({ socket, user }, { lobbyId }) => {
          roomService.assertCanJoin(socket, rooms.lobby(lobbyId));
          let refusal: AppError | null = null;
          let joined = false;
          const lobby = await store.update(lobbyId, (current) => {
            refusal = null;
            joined = false;
            if (!current) {
              refusal = notFound(`lobby ${lobbyId}`);
              return null;
            }
            if (current.members.some((member) => member.userId === user.userId)) return current;
            if (current.status === 'active' || current.status === 'closed') refusal = precondition('the game has started');
            else if (current.members.length >= current.maxPlayers) refusal = new AppError(ErrorCode.LIMIT_EXCEEDED, 'the lobby is full');
            if (refusal) return current;
            joined = true;
            const next = { ...current, members: [...current.members, { userId: user.userId, name: user.name, ready: false, joinedAt: Date.now() }] };
            return { ...next, status: statusOf(next) };
          });
          if (refusal) throw refusal;
          roomService.joinUser(user.userId, rooms.lobby(lobbyId));
          if (joined) {
            const [member] = await withStatus(services.find('presence'), [{ userId: user.userId, name: user.name, ready: false }]);
            emitTo(rooms.lobby(lobbyId), 'lobby:member:joined', { lobbyId, member: member! });
          }
          return { lobby: joined ? await broadcast(lobby!) : await view(lobby!) };
        },
        'lobby:leave': async ({ user }, { lobbyId }) => {
          await remove(user, lobbyId, user.userId, false);
          return {};
        },
        'lobby:subscribe': async ({ socket }, { lobbyId }) => {
          if (!(await store.get(lobbyId))) throw notFound(`lobby ${lobbyId}`);
          await roomService.join(socket, rooms.lobby(lobbyId));
          // A member looking keeps the lobby (a game in progress writes nothing to it).
          const lobby = await store.touch(lobbyId);
          if (!lobby) throw notFound(`lobby ${lobbyId}`);
          return { lobby: await view(lobby) };
        },
        'lobby:ready': async ({ user }, { lobbyId, ready }) => {
          const lobby = await change(user, lobbyId, false, (current) => {
            if (current.status === 'active' || current.status === 'closed') throw precondition('the game has started');
            const next = { ...current, members: current.members.map((member) => (member.userId === user.userId ? { ...member, ready } : member)) };
            return { ...next, status: statusOf(next) };
          });
          emitTo(rooms.lobby(lobbyId), 'lobby:member:ready', { lobbyId, userId: user.userId, ready });
          await broadcast(lobby!);
          return {};
        },
        'lobby:kick': async ({ user }, { lobbyId, userId }) => {
          if (userId === user.userId) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'leave instead of kicking yourself');
          await remove(user, lobbyId, userId, true);
          return {};
        },
        'lobby:settings': async ({ user }, { lobbyId, settings }) => {
          const lobby = await change(user, lobbyId, true, (current) => {
            const merged = { ...current.settings, ...settings };
            if (Object.keys(merged).length > 32) throw new AppError(ErrorCode.LIMIT_EXCEEDED, 'at most 32 settings');
            return { ...current, settings: merged };
          });
          return { lobby: await broadcast(lobby!) };
        },
        'lobby:start': async (ctx, { lobbyId }) => {
          const lobby = await change(ctx.user, lobbyId, true, (current) => {
            if (current.status === 'active') throw precondition('the game has already started');
            if (current.members.length < 2) throw precondition('a game needs at least two players');
            if (!current.members.every((member) => member.ready)) throw precondition('not every member is ready');
            return { ...current, status: 'active' };
          });
          // PROTOCOL.md: `→ {} then lobby:started`.
          ctx.afterAck(() => emitTo(rooms.lobby(lobbyId), 'lobby:started', { lobbyId }));
          await broadcast(lobby!);
          return {};
        },
      },
      onConnect(socket) {
        // Back within the grace period: the seat is kept.
        const pending = pendingLeave.get(socket.data.user.userId);
        if (pending) clearTimeout(pending.timer);
        pendingLeave.delete(socket.data.user.userId);
      },
      onDisconnect(socket, _reason, joined) {
        // A lobby does not outlive its members: a user whose last socket (on any node) closed
        // and who is not back within the grace period leaves every lobby they were in, and the
        // last one out closes it.
        const lobbyIds = [...joined].filter((room) => room.startsWith(LOBBY_PREFIX)).map((room) => room.slice(LOBBY_PREFIX.length));
        if (lobbyIds.length === 0) return;
        const { user } = socket.data;
        const pending = pendingLeave.get(user.userId);
        if (pending) clearTimeout(pending.timer);
        const lobbies = new Set([...(pending?.lobbyIds ?? []), ...lobbyIds]);
        const timer = setTimeout(() => {
          pendingLeave.delete(user.userId);
          void (async () => {
            if (await realtime.isUserOnline(user.userId)) return;
            for (const lobbyId of lobbies) {
              await remove(user, lobbyId, user.userId, false).catch((error: unknown) => {
                if (!(error instanceof AppError)) throw error; // already gone or already left
              });
            }
          })().catch((error: unknown) => log.warn({ err: error }, 'could not take a disconnected user out of their lobbies'));
        }, settings.graceMs);
        timer.unref();
        pendingLeave.set(user.userId, { timer, lobbyIds: lobbies });
      },
      stop() {
        for (const { timer } of pendingLeave.values()) clearTimeout(timer);
        pendingLeave.clear();
      },
    };
  },
});
