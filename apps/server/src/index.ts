/**
 * The server as a library: run the built-in features or a preset, add your own with
 * `defineFeature` (everything a feature may use is in `api.ts`, exported here whole), embed
 * Tavern in your own process.
 *
 * @example
 * import { builtInFeatures, createRealtimeServer, defineFeature, loadEnvironment, createLogger } from '@tavern/server';
 * const { config } = loadEnvironment();
 * const tavern = await createRealtimeServer(httpServer, { config, logger: createLogger({ level: 'info', nodeId: config.nodeId }), features: [...builtInFeatures, diceFeature] });
 */
export * from './api.js';
export { createRealtimeServer, type RealtimeServer, type RealtimeServerOptions } from './create-realtime-server.js';
export { resolveConfig, DEFAULT_RATE_LIMIT, type ConfigOverrides } from './config.js';
export { loadConfig, loadDotEnv, loadEnvironment, EnvError, serverEnvNames, type Environment } from './env.js';
export { createLogger } from './platform/logger.js';
export { contractOf } from './features/compose.js';
export * from './features/index.js';
export { presets, resolveFeatures, type PresetName } from './presets.js';
