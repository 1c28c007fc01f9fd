/**
 * Room names. A chat channel id is the room name, so these helpers serve both. No zod here:
 * browser clients get them from `@tavern/protocol/codes` without the schemas.
 *
 * @example
 * rooms.zone('tavern-district') // 'zone:tavern-district'
 * rooms.dm('bob', 'alice')      // 'dm:alice:bob'
 * parseRoom('dm:alice:bob')     // { kind: 'dm', id: 'alice:bob', userIds: ['alice', 'bob'] }
 */
/** What every id looks like: 1-64 characters of A-Z a-z 0-9 _ . - */
export const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The room kinds of the built-in features. A studio's feature may add kinds of its own. */
export const ROOM_KINDS = [
  'user',
  'zone',
  'combat',
  'guild',
  'party',
  'lobby',
  'poker',
  'room',
  'dm',
  'global',
  'presence',
] as const;
export type BuiltInRoomKind = (typeof ROOM_KINDS)[number];
/** A built-in kind, or a studio's own (lowercase letters, digits and `-`, up to 32). */
export type RoomKind = BuiltInRoomKind | (string & {});

/** What a room kind looks like; a feature registers the access policy of the kinds it owns. */
export const ROOM_KIND_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** The room kinds that are also chat channels. */
export const CHANNEL_KINDS = ['zone', 'guild', 'party', 'lobby', 'room', 'dm', 'global'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const GLOBAL_ROOM = 'global:main';

export const rooms = {
  user: (userId: string) => `user:${userId}`,
  zone: (zoneId: string) => `zone:${zoneId}`,
  combat: (sessionId: string) => `combat:${sessionId}`,
  guild: (guildId: string) => `guild:${guildId}`,
  party: (partyId: string) => `party:${partyId}`,
  lobby: (lobbyId: string) => `lobby:${lobbyId}`,
  poker: (sessionId: string) => `poker:${sessionId}`,
  room: (roomId: string) => `room:${roomId}`,
  /** The direct-message room of two users; the ids are sorted so both sides name it alike. */
  dm: (userA: string, userB: string) => (userA < userB ? `dm:${userA}:${userB}` : `dm:${userB}:${userA}`),
  global: () => GLOBAL_ROOM,
  presence: (userId: string) => `presence:${userId}`,
} as const;

export interface ParsedRoom {
  kind: RoomKind;
  /** Everything after `kind:`; for dm rooms `a:b`. */
  id: string;
  /** Only for dm rooms: the two user ids, sorted. */
  userIds?: [string, string];
}

/**
 * Splits a room name into kind and id; returns null when it is not a well-formed Tavern room.
 * Any well-formed kind parses; whether a room of that kind may be joined is its policy's call
 * (a kind without a policy is closed).
 */
export function parseRoom(name: string): ParsedRoom | null {
  const colon = name.indexOf(':');
  if (colon <= 0) return null;
  const kind = name.slice(0, colon);
  const id = name.slice(colon + 1);
  if (!ROOM_KIND_PATTERN.test(kind)) return null;
  if (kind === 'dm') {
    const parts = id.split(':');
    const [a, b] = parts;
    if (parts.length !== 2 || a === undefined || b === undefined) return null;
    if (!ID_PATTERN.test(a) || !ID_PATTERN.test(b) || a >= b) return null;
    return { kind, id, userIds: [a, b] };
  }
  if (kind === 'global' && id !== 'main') return null;
  if (!ID_PATTERN.test(id)) return null;
  return { kind, id };
}

export function isChannelKind(kind: string): kind is ChannelKind {
  return (CHANNEL_KINDS as readonly string[]).includes(kind);
}
