/**
 * Authoritative game rooms: a room type's logic runs on the server at a fixed tick and owns
 * the state; each player holds a copy kept in sync by a full state on join and small JSON
 * Patches (RFC 6902) after it, numbered per player. A room runs on one node; over Redis its
 * players may be connected to any node, and a room whose node dies is restored on another.
 */
import { z } from 'zod';
import { Cursor, Empty, Id, Seq, Timestamp } from './common.js';
import { command, defineSlice, event } from './define.js';

/** The name of a room type (`tic-tac-toe`): lowercase letters, digits and `-`. */
export const RoomType = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a room type is lowercase letters, digits and -, up to 32');

/** Metadata shown in the room list and matched by its filters. */
export const RoomMetadataValue = z.union([z.string().max(128), z.number().finite(), z.boolean()]);
export const RoomMetadata = z
  .record(z.string().min(1).max(32), RoomMetadataValue)
  .refine((metadata) => Object.keys(metadata).length <= 16, 'at most 16 metadata entries');
export type RoomMetadata = z.infer<typeof RoomMetadata>;

/** Options for a room type's `onCreate`; each type validates them with its own schema. */
export const RoomCreateOptions = z.record(z.string().min(1).max(32), z.unknown());

export const RoomCreatePayload = z.object({
  type: RoomType,
  options: RoomCreateOptions.optional(),
  /** A private room is not listed and is joined by id only. @default false */
  private: z.boolean().optional(),
});
export const RoomJoinPayload = z.object({
  roomId: Id,
  /** A seat reservation from matchmaking; rooms of a type that requires one refuse without it. */
  reservation: Id.optional(),
  /** Only take back the seat kept for you since a dropped connection: `NOT_FOUND` when there is none (it expired). */
  rejoin: z.boolean().optional(),
});
export const RoomAutojoinPayload = z.object({
  type: RoomType,
  options: RoomCreateOptions.optional(),
  /** Only public rooms whose metadata has these values are joined. */
  filter: RoomMetadata.optional(),
});
export const RoomIdPayload = z.object({ roomId: Id });
export const RoomListPayload = z.object({
  type: RoomType.optional(),
  filter: RoomMetadata.optional(),
  /** Only rooms with a free seat. @default false */
  available: z.boolean().optional(),
  limit: z.number().int().min(1).max(100).optional(),
});

/** A room as the lobby browser sees it. */
export const RoomListing = z.object({
  roomId: Id,
  type: RoomType,
  metadata: RoomMetadata,
  players: z.number().int().nonnegative(),
  maxPlayers: z.number().int().positive(),
  createdAt: Timestamp,
});
export type RoomListing = z.infer<typeof RoomListing>;

/** What a join answers: the seat and the full state of the joiner's view at `seq`. */
export const RoomJoined = z.object({
  roomId: Id,
  type: RoomType,
  /** Your seat's id (stable across a rejoin within the grace period). */
  seatId: Id,
  /** The sequence number of `state`; the next patch has `seq + 1`. */
  seq: Cursor,
  state: z.unknown(),
  /** True when this join took back a seat kept since a dropped connection. */
  rejoined: z.boolean(),
});
export type RoomJoined = z.infer<typeof RoomJoined>;

/** One JSON Patch operation (RFC 6902) on the player's view. */
export const RoomPatchOperation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('replace'), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('remove'), path: z.string() }),
]);
export type RoomPatchOperation = z.infer<typeof RoomPatchOperation>;

export const RoomState = z.object({ roomId: Id, seq: Cursor, state: z.unknown() });
export type RoomState = z.infer<typeof RoomState>;
export const RoomPatch = z.object({ roomId: Id, seq: Seq, ops: z.array(RoomPatchOperation) });
export type RoomPatch = z.infer<typeof RoomPatch>;
/**
 * `replaced`: another connection of yours took the seat. (A seat whose grace period ran out has
 * no connection to tell; a rejoin learns it from `room:join`'s `NOT_FOUND`.)
 */
export const RoomLeftReason = z.enum(['replaced']);
export const RoomLeft = z.object({ roomId: Id, reason: RoomLeftReason });
export type RoomLeft = z.infer<typeof RoomLeft>;
/** `lost`: the room's node died and the room could not be restored (its type keeps no checkpoints, or the checkpoint was unusable). */
export const RoomClosedReason = z.enum(['disposed', 'empty', 'lifetime', 'shutdown', 'lost']);
export const RoomClosed = z.object({ roomId: Id, reason: RoomClosedReason });
export type RoomClosed = z.infer<typeof RoomClosed>;

export const gameRoomCommands = {
  'room:create': command(RoomCreatePayload, RoomJoined, {
    description: 'Creates a room of a type the server runs and takes its first seat; `LIMIT_EXCEEDED` beyond the rooms per user.',
    rateLimit: { ratePerSec: 1, burst: 5 },
  }),
  'room:join': command(RoomJoinPayload, RoomJoined, {
    description: "Takes a seat in a room by id (or takes back your kept seat); the room's `onJoin` may refuse it. `NOT_FOUND` for a room that does not exist (on any node of the cluster); `UNAVAILABLE` while the room's node is unreachable (it is being restored: retry).",
    rateLimit: { ratePerSec: 2, burst: 10 },
  }),
  'room:autojoin': command(RoomAutojoinPayload, RoomJoined, {
    description: 'Joins the fullest public room of `type` matching `filter` with a free seat, or creates one.',
    rateLimit: { ratePerSec: 1, burst: 5 },
  }),
  'room:leave': command(RoomIdPayload, Empty, { description: 'Gives up your seat (a consented leave: the seat is not kept).' }),
  'room:list': command(RoomListPayload, z.object({ rooms: z.array(RoomListing) }), {
    description: 'Lists the public rooms of every node, filtered by type, metadata and free seats; private rooms are never listed.',
    rateLimit: { ratePerSec: 2, burst: 5 },
  }),
  'room:sync': command(RoomIdPayload, RoomState, {
    description: 'The full state of your view again, after a gap in the patch sequence numbers.',
    rateLimit: { ratePerSec: 2, burst: 5 },
  }),
};

export const gameRoomServerEvents = {
  'room:state': event(RoomState, 'The full state of your view of a room, sent instead of a `room:patch` (with the same next `seq`) when the patch would be longer.'),
  'room:patch': event(RoomPatch, 'What changed in your view of a room, as JSON Patch operations; `seq` is one more than the last you got, else ask `room:sync`.'),
  'room:left': event(RoomLeft, 'This connection no longer holds a seat in the room: another connection of yours took it.'),
  'room:closed': event(RoomClosed, 'The room was disposed; every seat in it is gone.'),
};

export const gameRoomSlice = defineSlice({
  id: 'game-rooms',
  title: 'Game rooms',
  description:
    "Authoritative rooms (opt-in: served by a server that runs `gameRoomsFeature` with room types from `defineRoom`): the studio's game logic runs on the server at a fixed tick and owns the state; each player gets the full state of their own view on join, then numbered JSON Patches. A dropped player keeps the seat for the room type's grace period. A room runs on the node that created it; over Redis its players may be connected to any node (their commands reach the room's node, its patches reach them), the room list covers every node, and a room whose node dies is restored on another node from its last checkpoint (the players get a full `room:state`, or take their seat back with `room:join` after a reconnect), or closed with `lost`.",
  commands: gameRoomCommands,
  serverEvents: gameRoomServerEvents,
});
