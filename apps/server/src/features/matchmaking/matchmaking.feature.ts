/**
 * Matchmaking: one ticket per user (rating from the `mmr` claim), matched by mode with a
 * rating window that widens over time. Exactly one node runs the matcher at a time: it holds
 * a lease in Redis and renews it every tick; when it dies, another node takes the lease
 * after `leaseMs`. A ticket is taken out of the queue by compare-and-set before its player
 * is put in a match, so no player is ever matched twice. A mode configured with a room type
 * ends each match in a game room made for it, with a seat reserved for each player; every
 * player's `matchmaking:matched` carries their own reservation. The room runs on the node
 * that runs the matcher.
 */
import { ErrorCode, matchmakingSlice, rooms, type MatchedRoom, type Member } from '@tavern/protocol';
import { AppError, conflict, createRecordStore, defineFeature, defineScript, notFound, withStatus } from '../../api.js';
import { matchmakingSettings, type MatchRoomSettings } from './matchmaking.settings.js';

interface Ticket {
  ticketId: string;
  userId: string;
  name: string;
  mode: string;
  region: string | null;
  rating: number;
  createdAt: number;
}

const DEFAULT_RATING = 1_000;
const DEFAULT_RESERVATION_TTL_MS = 30_000;
const ticketIdOf = (userId: string) => `t-${userId}`;

/** KEYS: lease. ARGV: node, ms. Takes a free lease or renews our own. */
const TAKE_LEASE = defineScript(`
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

export const matchmakingFeature = defineFeature({
  name: 'matchmaking',
  slice: matchmakingSlice,
  settings: matchmakingSettings,
  create: ({ config, redis, realtime, services, logger: log, settings, emitTo }) => {
    // The matcher expires a ticket after `expireAfterMs`; the store drops it by itself when no
    // matcher ran for as long again (every node down), so no ticket outlives the cluster.
    const tickets = createRecordStore<Ticket>(redis, 'matchmaking', { ttlMs: 2 * settings.expireAfterMs + settings.leaseMs, indexed: true });
    const lastStatus = new Map<string, number>();
    let timer: NodeJS.Timeout | null = null;
    let running = false;

    /** The configured mode of that name: own keys only (`constructor` is not a mode). */
    const modeOf = (name: string) => (Object.hasOwn(settings.modes, name) ? settings.modes[name] : undefined);
    const level = (ticket: Ticket, now: number) => Math.floor((now - ticket.createdAt) / settings.widenEveryMs);
    const windowOf = (ticket: Ticket, now: number) => settings.initialWindow + settings.widenBy * level(ticket, now);

    async function holdsLease(): Promise<boolean> {
      if (!redis) return true;
      const taken = await redis.run((client) => TAKE_LEASE(client, [redis.key('matchmaking', 'lease')], [config.nodeId, settings.leaseMs]));
      return taken === 1;
    }

    /** Takes tickets out of the queue; if any was already gone, puts the others back. */
    async function take(group: readonly Ticket[]): Promise<boolean> {
      const taken: Ticket[] = [];
      for (const ticket of group) {
        let existed = false;
        await tickets.update(ticket.ticketId, (current) => {
          existed = current !== null && current.createdAt === ticket.createdAt;
          return existed ? null : current;
        });
        if (!existed) {
          for (const back of taken) await tickets.update(back.ticketId, (current) => current ?? back);
          return false;
        }
        taken.push(ticket);
      }
      return true;
    }

    /**
     * Makes the match's game room and reserves a seat in it for each player. The room counts
     * against the rooms of one of its players (the first who has one to spare), like a room
     * that player made.
     */
    function openRoom(group: readonly Ticket[], spec: MatchRoomSettings): Map<string, MatchedRoom> {
      const gameRooms = services.get('gameRooms');
      let room: ReturnType<typeof gameRooms.createRoom> | undefined;
      let refusal: unknown;
      for (const { userId } of group) {
        try {
          room = gameRooms.createRoom(spec.type, spec.options ?? {}, { createdBy: userId, isPrivate: spec.private ?? true });
          break;
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== ErrorCode.LIMIT_EXCEEDED) throw error;
          refusal = error;
        }
      }
      if (!room) throw refusal;
      try {
        const ttlMs = spec.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
        const expiresAt = Date.now() + ttlMs;
        return new Map(group.map(({ userId }) => [userId, { roomId: room.id, type: spec.type, reservation: gameRooms.reserve(room.id, userId, ttlMs), expiresAt }]));
      } catch (error) {
        room.dispose(); // its reservations go with it
        throw error;
      }
    }

    async function match(group: readonly Ticket[], mode: string): Promise<void> {
      const roomSpec = modeOf(mode)?.room;
      let seats: Map<string, MatchedRoom> | null = null;
      if (roomSpec) {
        try {
          seats = openRoom(group, roomSpec);
        } catch (error) {
          // The players are out of the queue: tell them the ticket failed rather than leave them waiting.
          const known = error instanceof AppError && error.code !== ErrorCode.INTERNAL;
          if (known) log.warn({ mode, type: roomSpec.type, err: error }, 'no room for a match');
          else log.error({ mode, type: roomSpec.type, err: error }, 'making the room for a match failed');
          const message = known ? `no game room for the match: ${error.message}` : 'no game room for the match';
          for (const ticket of group) {
            lastStatus.delete(ticket.ticketId);
            emitTo(rooms.user(ticket.userId), 'matchmaking:error', { ticketId: ticket.ticketId, message });
          }
          return;
        }
      }
      const roomId = seats?.get(group[0]!.userId)?.roomId;
      let lobbyId: string;
      let players: Member[];
      try {
        lobbyId = await services.get('lobbies').createWith(group.map(({ userId, name }) => ({ userId, name })), { mode, maxPlayers: group.length });
        players = await withStatus(services.find('presence'), group.map(({ userId, name }) => ({ userId, name })));
      } catch (error) {
        if (roomId) services.get('gameRooms').find(roomId)?.dispose(); // nobody will hear of it
        throw error;
      }
      for (const ticket of group) {
        lastStatus.delete(ticket.ticketId);
        const room = seats?.get(ticket.userId);
        emitTo(rooms.user(ticket.userId), 'matchmaking:matched', { ticketId: ticket.ticketId, lobbyId, players, ...(room && { room }) });
      }
      log.info({ mode, lobbyId, ...(roomId && { roomId }), players: group.map((ticket) => ticket.userId) }, 'matched');
    }

    async function tick(): Promise<void> {
      if (!(await holdsLease())) return;
      const now = Date.now();
      const all = (await Promise.all((await tickets.ids()).map((id) => tickets.get(id)))).filter((ticket): ticket is Ticket => ticket !== null);
      const queued = new Set(all.map((ticket) => ticket.ticketId));
      for (const ticketId of lastStatus.keys()) if (!queued.has(ticketId)) lastStatus.delete(ticketId);
      const matched = new Set<string>();
      for (const ticket of all.sort((a, b) => a.createdAt - b.createdAt)) {
        if (matched.has(ticket.ticketId)) continue;
        const mode = modeOf(ticket.mode);
        if (!mode) continue;
        if (now - ticket.createdAt >= settings.expireAfterMs) {
          if (await take([ticket])) emitTo(rooms.user(ticket.userId), 'matchmaking:expired', { ticketId: ticket.ticketId, message: 'no match found in time' });
          continue;
        }
        const needed = mode.teamSize * mode.teams;
        const window = windowOf(ticket, now);
        const candidates = all
          .filter((other) => !matched.has(other.ticketId) && other.mode === ticket.mode && other.region === ticket.region)
          .filter((other) => Math.abs(other.rating - ticket.rating) <= window)
          .sort((a, b) => Math.abs(a.rating - ticket.rating) - Math.abs(b.rating - ticket.rating) || a.createdAt - b.createdAt);
        if (candidates.length >= needed) {
          const group = [ticket, ...candidates.filter((other) => other !== ticket).slice(0, needed - 1)];
          if (await take(group)) {
            for (const member of group) matched.add(member.ticketId);
            await match(group, ticket.mode);
            continue;
          }
        }
        if (now - (lastStatus.get(ticket.ticketId) ?? ticket.createdAt) >= settings.statusIntervalMs) {
          lastStatus.set(ticket.ticketId, now);
          const relaxationLevel = level(ticket, now);
          emitTo(rooms.user(ticket.userId), 'matchmaking:status', {
            ticketId: ticket.ticketId,
            status: relaxationLevel > 0 ? 'relaxing' : 'searching',
            elapsedMs: now - ticket.createdAt,
            relaxationLevel,
          });
        }
      }
    }

    /** Cancels the ticket; `announce` sends `matchmaking:cancelled` (a command defers it until after its ack). */
    async function cancel(userId: string, ticketId: string, announce: (send: () => void) => void = (send) => send()): Promise<boolean> {
      let existed = false;
      await tickets.update(ticketId, (current) => {
        existed = current?.userId === userId;
        return existed ? null : current;
      });
      if (existed) {
        lastStatus.delete(ticketId);
        announce(() => emitTo(rooms.user(userId), 'matchmaking:cancelled', { ticketId }));
      }
      return existed;
    }

    return {
      handlers: {
        'matchmaking:join': async ({ user }, { mode, region }) => {
          if (!modeOf(mode)) throw new AppError(ErrorCode.INVALID_PAYLOAD, `unknown mode ${mode}; modes: ${Object.keys(settings.modes).join(', ')}`);
          const ticketId = ticketIdOf(user.userId);
          let duplicate = false;
          await tickets.update(ticketId, (current) => {
            duplicate = current !== null;
            return (
              current ?? { ticketId, userId: user.userId, name: user.name, mode, region: region ?? null, rating: user.mmr ?? DEFAULT_RATING, createdAt: Date.now() }
            );
          });
          if (duplicate) throw conflict('you are already searching; cancel first');
          return { ticketId };
        },
        'matchmaking:cancel': async (ctx, { ticketId }) => {
          // PROTOCOL.md: `→ {}, then matchmaking:cancelled`.
          if (!(await cancel(ctx.user.userId, ticketId, (send) => ctx.afterAck(send)))) throw notFound(`ticket ${ticketId}`);
          return {};
        },
      },
      start() {
        // A mode that ends in a room needs the game rooms running: a composition mistake, found at start-up.
        for (const [name, mode] of Object.entries(settings.modes)) {
          if (mode.room && !services.find('gameRooms')) throw new Error(`matchmaking mode ${name} ends in a ${mode.room.type} room, but the server runs no gameRoomsFeature`);
        }
        timer = setInterval(() => {
          if (running) return;
          running = true;
          tick()
            .catch((error: unknown) => {
              if (!(error instanceof AppError)) log.error({ err: error }, 'matchmaking tick failed');
            })
            .finally(() => (running = false));
        }, settings.tickMs);
        timer.unref();
      },
      async stop() {
        if (timer) clearInterval(timer);
        // Hand the lease over at once instead of making the others wait for it to lapse.
        if (redis?.healthy) {
          await redis
            .run(async (client) => {
              if ((await client.get(redis.key('matchmaking', 'lease'))) === config.nodeId) await client.del(redis.key('matchmaking', 'lease'));
            })
            .catch(() => undefined);
        }
      },
      onDisconnect(socket) {
        const { userId } = socket.data.user;
        // The ticket of a user whose last socket (on any node) closed is cancelled.
        void (async () => {
          if (await realtime.isUserOnline(userId)) return;
          await cancel(userId, ticketIdOf(userId));
        })().catch((error: unknown) => {
          if (!(error instanceof AppError)) log.error({ err: error }, 'could not cancel a ticket on disconnect');
        });
      },
    };
  },
});
