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
export * from '@tavern/protocol';
