/**
 * Rooms for the admin API: this node's rooms by kind and its busiest rooms, read from the
 * Socket.IO adapter (the rooms with at least one socket of this node), and the merge of every
 * node's answer. Bounded: at most `limit` (<= 100) busy rooms per node and MAX_KINDS kinds.
 */
import { ROOM_KIND_PATTERN, type BusyRoom, type NodeRooms, type RoomKindCount, type RoomsQuery, type RoomsResult } from '@tavern/protocol';

/** Kinds beyond this many (a studio's feature naming rooms oddly) are counted as `other`. */
export const MAX_KINDS = 64;
const OTHER = 'other';

/** What this reads of the Socket.IO server: the main namespace's rooms and sockets. */
export interface RoomSource {
  of(name: '/'): { adapter: { rooms: ReadonlyMap<string, ReadonlySet<string>> }; sockets: ReadonlyMap<string, unknown> };
}

/** `zone:town` -> `zone`; a name without a valid kind prefix -> `other`. */
export function kindOf(room: string): string {
  const colon = room.indexOf(':');
  const kind = colon > 0 ? room.slice(0, colon) : '';
  return ROOM_KIND_PATTERN.test(kind) ? kind : OTHER;
}

/** Busiest first; the same count in name order, so answers are stable. */
const busier = (a: BusyRoom, b: BusyRoom) => b.sockets - a.sockets || (a.room < b.room ? -1 : a.room > b.room ? 1 : 0);

/** The `limit` busiest of the rooms offered, without sorting them all. */
class TopRooms {
  private readonly kept: BusyRoom[] = [];

  constructor(private readonly limit: number) {}

  offer(room: BusyRoom): void {
    const { kept, limit } = this;
    if (kept.length === limit && busier(room, kept[limit - 1]!) >= 0) return;
    let at = kept.length;
    while (at > 0 && busier(room, kept[at - 1]!) < 0) at--;
    kept.splice(at, 0, room);
    if (kept.length > limit) kept.pop();
  }

  get rooms(): BusyRoom[] {
    return this.kept;
  }
}

export function nodeRooms(io: RoomSource, nodeId: string, query: RoomsQuery): NodeRooms {
  const namespace = io.of('/');
  const byKind = new Map<string, RoomKindCount>();
  const top = new TopRooms(query.limit);
  let total = 0;
  for (const [room, members] of namespace.adapter.rooms) {
    if (namespace.sockets.has(room)) continue; // each socket's own room
    total++;
    let kind = kindOf(room);
    if (!byKind.has(kind) && byKind.size >= MAX_KINDS) kind = OTHER;
    const counted = byKind.get(kind) ?? { kind, rooms: 0, sockets: 0 };
    counted.rooms++;
    counted.sockets += members.size;
    byKind.set(kind, counted);
    if (query.kind === undefined || query.kind === kind) top.offer({ room, kind, sockets: members.size });
  }
  return { nodeId, rooms: total, byKind: sortKinds([...byKind.values()]), busiest: top.rooms, at: Date.now() };
}

/** Most sockets first. */
function sortKinds(kinds: RoomKindCount[]): RoomKindCount[] {
  return kinds.sort((a, b) => b.sockets - a.sockets || b.rooms - a.rooms || a.kind.localeCompare(b.kind));
}

/** Every node's answer into cluster figures: sockets summed per kind and per room, then the top `limit`. */
export function mergeRooms(nodes: readonly NodeRooms[], limit: number): RoomsResult {
  const byKind = new Map<string, RoomKindCount>();
  const rooms = new Map<string, BusyRoom>();
  for (const node of nodes) {
    for (const { kind, rooms: count, sockets } of node.byKind) {
      const merged = byKind.get(kind) ?? { kind, rooms: 0, sockets: 0 };
      merged.rooms += count;
      merged.sockets += sockets;
      byKind.set(kind, merged);
    }
    for (const { room, kind, sockets } of node.busiest) {
      const merged = rooms.get(room) ?? { room, kind, sockets: 0 };
      merged.sockets += sockets;
      rooms.set(room, merged);
    }
  }
  const top = new TopRooms(limit);
  for (const room of rooms.values()) top.offer(room);
  return {
    nodes: [...nodes],
    cluster: { rooms: nodes.reduce((sum, node) => sum + node.rooms, 0), byKind: sortKinds([...byKind.values()]), busiest: top.rooms },
  };
}
