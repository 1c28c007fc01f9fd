/**
 * The world: zones, server-owned positions, batched snapshots, actions.
 *
 * Each node owns the characters whose sockets it holds: it validates their moves against its
 * own record of their position, and once per tick emits one volatile `zone:snapshot` per
 * zone holding only its characters that moved (so a client never gets its own unchanged
 * position, and never one packet per move), then writes those positions to the store in
 * one pipeline, so `zone:enter` on any node sees everyone.
 */
import { ErrorCode, rooms, type CharacterStatus, type Player, worldSlice } from '@tavern/protocol';
import { AppError, characterIdOf, defineFeature, type TavernSocket } from '../../api.js';
import { worldSettings } from './world.settings.js';
import { budgetAt, checkMove, DEFAULT_MOVEMENT, type Position } from './movement.js';
import { MemoryWorldStore, RedisWorldStore } from './world.store.js';
import { publicZone, zonesById, type NpcTemplate, type ZoneConfig } from './zones.js';

interface Character {
  characterId: string;
  userId: string;
  name: string;
  socket: TavernSocket;
  zone: ZoneConfig;
  pos: Position;
  lastSeq: number;
  lastAction: Map<string, number>;
}

/** Per-action cooldowns (ms). */
const COOLDOWNS: Record<string, number> = { emote: 1_000, interact: 500 };

/** What other features (combat) may ask the world. */
export interface WorldService {
  /** Where a user's character is, on any node. */
  locate(userId: string): Promise<{ zoneId: string; characterId: string } | null>;
  players(zoneId: string): Promise<Player[]>;
  /** The NPC `id` configured in a zone (own keys only: `constructor` is no NPC). */
  npc(zoneId: string, id: string): NpcTemplate | undefined;
  /** Whether the zone allows fights between players (its `pvp` flag). */
  pvp(zoneId: string): boolean;
}

declare module '../feature.js' {
  interface TavernServices {
    world: WorldService;
  }
}

export const worldFeature = defineFeature({
  name: 'world',
  slice: worldSlice,
  settings: worldSettings,
  create: ({ redis, realtime, rooms: roomService, registry, metrics, logger: log, services, settings, emitTo }) => {
    const zones = zonesById(settings.zones);
    const store = redis ? new RedisWorldStore(redis) : new MemoryWorldStore();
    services.provide('world', {
      locate: (userId) => store.zoneOfUser(userId),
      players: (zoneId) => store.players(zoneId),
      npc: (zoneId, id) => {
        const npcs = zones.get(zoneId)?.npcs;
        return npcs && Object.hasOwn(npcs, id) ? npcs[id] : undefined;
      },
      pvp: (zoneId) => zones.get(zoneId)?.pvp === true,
    });
    const characters = new Map<string, Character>();
    const bySocket = new Map<string, string>();
    /** zoneId -> characterId -> position, for this tick. */
    const moved = new Map<string, Map<string, { x: number; y: number }>>();
    let tick = 0;
    let timer: NodeJS.Timeout | null = null;

    const playerOf = (character: Character): Player => ({
      characterId: character.characterId,
      userId: character.userId,
      name: character.name,
      x: character.pos.x,
      y: character.pos.y,
    });

    function status(character: Character): CharacterStatus {
      return { characterId: character.characterId, hp: 100, maxHp: 100, mana: 50, maxMana: 50, effects: [] };
    }

    roomService.setPolicy('zone', async (user, room) => {
      const local = characters.get(characterIdOf(user));
      if (local) return local.zone.id === room.id;
      return (await store.zoneOfUser(user.userId))?.zoneId === room.id;
    });

    async function leaveZone(character: Character): Promise<void> {
      const { zone, characterId } = character;
      moved.get(zone.id)?.delete(characterId);
      await store.place(zone.id, [playerOf(character)]).catch(() => undefined); // remember where they were
      await store.remove(zone.id, characterId);
      await character.socket.leave(rooms.zone(zone.id));
      emitTo(rooms.zone(zone.id), 'zone:player:left', { zoneId: zone.id, characterId });
    }

    function flush(): void {
      tick++;
      const serverTime = Date.now();
      for (const [zoneId, positions] of moved) {
        if (positions.size === 0) continue;
        const players = [...positions].map(([characterId, { x, y }]) => ({ characterId, x, y }));
        positions.clear();
        emitTo(rooms.zone(zoneId), 'zone:snapshot', { zoneId, tick, serverTime, players }, { volatile: true });
        const placed = players.flatMap(({ characterId }) => {
          const character = characters.get(characterId);
          return character ? [playerOf(character)] : [];
        });
        store.place(zoneId, placed).catch((error: unknown) => {
          if (!(error instanceof AppError)) log.error({ err: error }, 'could not store positions');
        });
      }
    }

    function refuse(character: Character, kind: string): AppError {
      metrics.antiCheatRefusals.labels(kind).inc();
      // Per user in the log (a metric label per user would not scale): find a cheating client.
      log.info({ userId: character.userId, characterId: character.characterId, kind }, 'anti-cheat: move refused');
      return new AppError(ErrorCode.PRECONDITION_FAILED, `move refused: ${kind}`);
    }

    return {
      handlers: {
        'zone:enter': async ({ socket, user }, { zoneId }) => {
          const zone = zones.get(zoneId);
          if (!zone) throw new AppError(ErrorCode.NOT_FOUND, `no zone ${zoneId}`);
          const characterId = characterIdOf(user);
          const previous = characters.get(characterId);
          if (previous) {
            await leaveZone(previous);
            bySocket.delete(previous.socket.id);
          }
          const last = await store.lastPosition(characterId, zone.id).catch(() => null);
          const start = last && last.x <= zone.width && last.y <= zone.height ? last : zone.spawn;
          const character: Character = {
            characterId,
            userId: user.userId,
            name: user.name,
            socket,
            zone,
            // Entering again keeps what is left of the travel budget: re-entering does not refill it.
            pos: { x: start.x, y: start.y, at: Date.now(), ...(previous && { budget: budgetAt(previous.zone, previous.pos, Date.now()) }) },
            lastSeq: 0,
            lastAction: new Map(),
          };
          characters.set(characterId, character);
          bySocket.set(socket.id, characterId);
          await store.setZoneOfUser(user.userId, { zoneId: zone.id, characterId });
          await roomService.join(socket, rooms.zone(zone.id));
          const present = (await store.players(zone.id)).filter((player) => player.characterId !== characterId);
          await store.place(zone.id, [playerOf(character)]);
          emitTo(rooms.zone(zone.id), 'zone:player:entered', playerOf(character), { except: socket.id });
          socket.emit('character:status', status(character));
          return { zone: publicZone(zone), you: { x: character.pos.x, y: character.pos.y }, players: present };
        },
        'character:move': {
          run: ({ socket }, { x, y, seq }) => {
            const character = characters.get(bySocket.get(socket.id) ?? '');
            if (!character || character.socket !== socket) throw new AppError(ErrorCode.PRECONDITION_FAILED, 'enter a zone before moving');
            const now = Date.now();
            const verdict = checkMove(character.zone, character.pos, { x, y }, now, DEFAULT_MOVEMENT);
            character.lastSeq = seq;
            // Refused or not, the travel budget is brought up to now; only an accepted move spends it.
            character.pos = verdict.pos;
            if (!verdict.ok) throw refuse(character, verdict.kind);
            let zoneMoves = moved.get(character.zone.id);
            if (!zoneMoves) moved.set(character.zone.id, (zoneMoves = new Map()));
            zoneMoves.set(character.characterId, { x, y });
          },
          onRefused: ({ socket }, error) => {
            const character = characters.get(bySocket.get(socket.id) ?? '');
            if (!character) {
              socket.emit('error', { code: error.code, message: error.message, event: 'character:move' });
              return;
            }
            // The authoritative position, with the seq of the refused move.
            socket.emit('character:correction', { x: character.pos.x, y: character.pos.y, seq: character.lastSeq });
          },
        },
        'character:action': ({ socket }, { action, emote, targetId }) => {
          const character = characters.get(bySocket.get(socket.id) ?? '');
          if (!character) throw new AppError(ErrorCode.PRECONDITION_FAILED, 'enter a zone first');
          if (action === 'emote' && emote === undefined) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'an emote needs `emote`');
          const now = Date.now();
          const cooldown = COOLDOWNS[action] ?? 1_000;
          const last = character.lastAction.get(action) ?? 0;
          if (now - last < cooldown) {
            throw new AppError(ErrorCode.RATE_LIMITED, `${action} is cooling down`, { retryAfterMs: cooldown - (now - last) });
          }
          character.lastAction.set(action, now);
          emitTo(rooms.zone(character.zone.id), 'character:action', {
            characterId: character.characterId,
            action,
            ...(emote !== undefined && { emote }),
            ...(targetId !== undefined && { targetId }),
          });
          return {};
        },
      },
      start() {
        timer = setInterval(flush, settings.tickMs);
        timer.unref();
        registry.onReaped(async (entries) => {
          // Characters of a dead node's users leave their zones (no ghosts).
          for (const userId of new Set(entries.map((entry) => entry.userId))) {
            if (await realtime.isUserOnline(userId)) continue;
            const where = await store.zoneOfUser(userId);
            if (!where || characters.has(where.characterId)) continue;
            await store.remove(where.zoneId, where.characterId);
            await store.setZoneOfUser(userId, null);
            emitTo(rooms.zone(where.zoneId), 'zone:player:left', { zoneId: where.zoneId, characterId: where.characterId });
          }
        });
      },
      stop() {
        if (timer) clearInterval(timer);
      },
      async onDisconnect(socket) {
        const characterId = bySocket.get(socket.id);
        if (characterId === undefined) return;
        bySocket.delete(socket.id);
        const character = characters.get(characterId);
        if (!character || character.socket !== socket) return;
        characters.delete(characterId);
        await leaveZone(character);
        await store.setZoneOfUser(character.userId, null);
      },
    };
  },
});
