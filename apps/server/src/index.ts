/** The server as a library: embed Tavern in your own process, or extend it with features. */
export { createRealtimeServer, type RealtimeServer, type RealtimeServerOptions } from './create-realtime-server.js';
export { resolveConfig, type Config, type ConfigOverrides } from './config.js';
export { loadConfig, EnvError } from './env.js';
export { createLogger, type Logger } from './platform/logger.js';
export { builtInFeatures } from './features/index.js';
export { ServiceRegistry, type Feature, type FeatureContext, type FeatureFactory, type TavernServices } from './features/feature.js';
export { defineHandler, defineSignal, type HandlerContext } from './transport/define-handler.js';
export { AppError } from './transport/app-error.js';
export type { AuthUser, TavernServer, TavernSocket } from './transport/socket-types.js';
export type { RealtimeService, EmitOptions } from './realtime/realtime.service.js';
