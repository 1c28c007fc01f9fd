/**
 * React bindings: `import { TavernProvider, useChannel } from '@tavern/client-sdk/react'`.
 * React (18 or 19) is a peer dependency; the core SDK does not need it.
 *
 * @example
 * const client = createClient({ url, getToken });
 * <TavernProvider client={client}><Chat /></TavernProvider>
 *
 * function Chat() {
 *   const state = useConnectionState();
 *   const { messages, send, typingUsers, keystroke } = useChannel('global:main');
 *   ...
 * }
 */
export { TavernProvider, useTavernClient, type TavernProviderProps } from './context.js';
export { useConnectionState, useServerEvent, useSession } from './connection.js';
export { useChannel, type ChannelView, type UseChannelOptions } from './use-channel.js';
export { usePresence } from './use-presence.js';
export { useLobby, type LobbyView } from './use-lobby.js';
export { useGameRoom, type GameRoomView } from './use-game-room.js';
export { usePokerSession, type PokerJoinOptions, type PokerSessionView } from './use-poker-session.js';
export type { TavernError } from './to-error.js';
