export {
  createClient,
  type ClientOptions,
  type ClientSocket,
  type ConnectionState,
  type ReconnectOptions,
  type RequestOptions,
  type TavernClient,
} from './create-client.js';
export { ClientError, ClientErrorCode } from './client-error.js';
export { ChannelSync, type ChannelSyncOptions } from './channel-sync.js';
export { SessionTracker } from './resubscribe.js';
export { GameRoom, GameRooms, withRooms, type RoomEnd } from './game-rooms.js';
export { applyRoomPatch } from './room-patch.js';
export { followPokerSession, pokerReducers } from './poker-state.js';
export { createTypingNotifier, type TypingNotifier, type TypingNotifierOptions } from './typing.js';

// Every type of the protocol, and its values that need no zod. The schemas (and the built-in
// contract, for `validate`) come from `@tavern/protocol` itself, so that an app that does not
// import them does not download zod.
export type * from '@tavern/protocol';
export { ErrorCode, GLOBAL_ROOM, ID_PATTERN, PROTOCOL_VERSION, parseRoom, rooms } from '@tavern/protocol/codes';
