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
export { followPokerSession, pokerReducers } from './poker-state.js';
export { createTypingNotifier, type TypingNotifier, type TypingNotifierOptions } from './typing.js';
export * from '@tavern/protocol';
