/**
 * The server as a library: run the built-in features or a preset, add your own with
 * `defineFeature`, embed Tavern in your own process.
 *
 * @example
 * import { builtInFeatures, createRealtimeServer, defineFeature, loadEnvironment, createLogger } from '@tavern/server';
 * const { config } = loadEnvironment();
 * const tavern = await createRealtimeServer(httpServer, { config, logger: createLogger({ level: 'info', nodeId: config.nodeId }), features: [...builtInFeatures, diceFeature] });
 */
export { createRealtimeServer, type RealtimeServer, type RealtimeServerOptions } from './create-realtime-server.js';
export { resolveConfig, DEFAULT_RATE_LIMIT, type Config, type ConfigOverrides, type RateLimitRule } from './config.js';
export { loadConfig, loadEnvironment, EnvError, serverEnvNames, type Environment } from './env.js';
export { createLogger, type Logger } from './platform/logger.js';
export { envBool, envInt, envJson, envLinesFile, envList, envNumber, SettingsError, type EnvSetting, type SettingsSpec } from './platform/settings.js';
export { contractOf } from './features/compose.js';
export {
  adminFeature,
  builtInFeatures,
  chatFeature,
  combatFeature,
  guildFeature,
  lobbyFeature,
  matchmakingFeature,
  notificationsFeature,
  partyFeature,
  pokerFeature,
  presenceFeature,
  sessionFeature,
  worldFeature,
} from './features/index.js';
export { presets, resolveFeatures, type PresetName } from './presets.js';
export {
  defineFeature,
  ServiceRegistry,
  type AnyFeature,
  type Broadcast,
  type CommandHandler,
  type EmitTo,
  type FeatureContext,
  type FeatureDefinition,
  type FeatureParts,
  type Handlers,
  type SignalEntry,
  type SignalHandler,
  type TavernServices,
} from './features/feature.js';
export type { HandlerContext } from './transport/handler-context.js';
export { AppError } from './platform/app-error.js';
export type { AuthUser, TavernServer, TavernSocket } from './transport/socket-types.js';
export type { RealtimeService, EmitOptions } from './realtime/realtime.service.js';
export type { RoomService, AccessPolicy } from './rooms/room.service.js';
export { createRecordStore, type RecordStore } from './platform/record-store.js';
export type { RedisConnections } from './platform/redis.js';
export type { Clock } from './platform/clock.js';
export type {
  CommandRecord,
  ConnectInput,
  ConnectVerdict,
  ExtensionHooks,
  FailMode,
  HttpHook,
  HttpHooksConfig,
  MessageInput,
  MessageVerdict,
  TavernHooks,
  UserPatch,
} from './hooks/hooks.js';
