/** The world: zones, server-owned positions, snapshots, actions and status. */
import { z } from 'zod';
import { Empty, Id, Point, Timestamp } from './common.js';
import { command, defineSlice, event, signal } from './define.js';

export const Zone = z.object({
  id: Id,
  name: z.string(),
  width: z.number().positive(),
  height: z.number().positive(),
  spawn: Point,
  /** World units per second a character may move, before tolerance. */
  maxSpeed: z.number().positive(),
  /** Players may start fights against other players here. Absent or false: fights are against NPCs only. */
  pvp: z.boolean().optional(),
});
export type Zone = z.infer<typeof Zone>;

export const Player = z.object({
  characterId: Id,
  userId: Id,
  name: z.string(),
  x: z.number(),
  y: z.number(),
});
export type Player = z.infer<typeof Player>;

export const ZoneEnterPayload = z.object({ zoneId: Id });
export const ZoneEnterResult = z.object({ zone: Zone, you: Point, players: z.array(Player) });
export type ZoneEnterResult = z.infer<typeof ZoneEnterResult>;

/** A move request. `seq` is the client's own counter, echoed in corrections. */
export const CharacterMoveSignal = z.object({
  x: z.number(),
  y: z.number(),
  seq: z.number().int().nonnegative(),
});
export const CharacterCorrection = z.object({ x: z.number(), y: z.number(), seq: z.number().int().nonnegative() });

export const SnapshotEntry = z.object({ characterId: Id, x: z.number(), y: z.number() });
export const ZoneSnapshot = z.object({
  zoneId: Id,
  tick: z.number().int().nonnegative(),
  serverTime: Timestamp,
  players: z.array(SnapshotEntry),
});
export type ZoneSnapshot = z.infer<typeof ZoneSnapshot>;

export const ZonePlayerLeft = z.object({ zoneId: Id, characterId: Id });

export const CharacterActionKind = z.enum(['emote', 'interact']);
export const CharacterActionPayload = z.object({
  action: CharacterActionKind,
  emote: z.string().min(1).max(32).optional(),
  targetId: Id.optional(),
});
export const CharacterActionEvent = z.object({
  characterId: Id,
  action: CharacterActionKind,
  emote: z.string().optional(),
  targetId: Id.optional(),
});

export const StatusEffect = z.object({ id: Id, remainingMs: z.number().int().nonnegative() });
export const CharacterStatus = z.object({
  characterId: Id,
  hp: z.number(),
  maxHp: z.number(),
  mana: z.number(),
  maxMana: z.number(),
  effects: z.array(StatusEffect),
});
export type CharacterStatus = z.infer<typeof CharacterStatus>;

export const worldCommands = {
  'zone:enter': command(ZoneEnterPayload, ZoneEnterResult, { description: 'Moves your character into a zone: answers the zone, your position and the players there.' }),
  'character:action': command(CharacterActionPayload, Empty, { description: 'Performs an emote or interaction, broadcast to the zone as `character:action`.' }),
};

export const worldSignals = {
  'character:move': signal(CharacterMoveSignal, { description: 'Moves your character; refused moves come back as `character:correction`.', rateLimit: { ratePerSec: 20, burst: 40 } }),
};

export const worldServerEvents = {
  'character:correction': event(CharacterCorrection, 'Your move was refused: the authoritative position.'),
  'zone:snapshot': event(ZoneSnapshot, 'Positions of the players who moved, one per tick per zone (default 100 ms); volatile.'),
  'zone:player:entered': event(Player, 'A player entered your zone.'),
  'zone:player:left': event(ZonePlayerLeft, 'A player left your zone.'),
  'character:action': event(CharacterActionEvent, 'A character in your zone performed an emote or interaction.'),
  'character:status': event(CharacterStatus, "A character's health, mana and effects changed."),
};

export const worldSlice = defineSlice({
  id: 'world',
  title: 'World',
  description: 'Zones, server-owned positions, snapshots, actions and status.',
  commands: worldCommands,
  signals: worldSignals,
  serverEvents: worldServerEvents,
});
