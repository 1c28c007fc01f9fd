/**
 * What a feature is written against, all of it. The built-in features import nothing of the
 * server but this file (lint refuses anything else), and `@tavern/server` exports all of it,
 * so a studio's feature can do exactly what a built-in one does.
 */
export {
  defineFeature,
  ServiceRegistry,
  type AnyFeature,
  type Broadcast,
  type CommandHandler,
  type EmitTo,
  type EmptySlice,
  type FeatureContext,
  type FeatureDefinition,
  type FeatureParts,
  type Handlers,
  type SignalEntry,
  type SignalHandler,
  type TavernServices,
} from './features/feature.js';
export type { HandlerContext } from './transport/handler-context.js';
export { AppError, conflict, forbidden, fromZodError, invalid, notFound, precondition } from './platform/app-error.js';
export { characterIdOf, hasRole, type AuthUser, type TavernServer, type TavernSocket } from './transport/socket-types.js';
export type { RealtimeService, EmitOptions } from './realtime/realtime.service.js';
export type { RoomService, AccessPolicy } from './rooms/room.service.js';
export { listByStatus, withStatus, type StatusSource } from './rooms/member-status.js';
export { createRecordStore, updateOrRefuse, type IndexedRecordStore, type RecordStore, type RecordStoreOptions } from './platform/record-store.js';
export { defineScript, defineWriteScript, type RedisConnections } from './platform/redis.js';
export { randomId } from './platform/ids.js';
export { KeyedTokenBuckets } from './transport/rate-limiter.js';
export { DistributedLimiter, LIMIT_PENDING, type DistributedLimiterOptions, type LimitRule } from './transport/distributed-limiter.js';
export { exceedsShape } from './transport/payload-guard.js';
export { armExpiry, type ExpiryOptions } from './auth/session-expiry.js';
export type { Clock } from './platform/clock.js';
export type { Logger } from './platform/logger.js';
export type { Metrics } from './platform/metrics.js';
export type { Config, RateLimitRule } from './config.js';
export { envBool, envInt, envJson, envLinesFile, envList, envNumber, SettingsError, type EnvSetting, type SettingsSpec } from './platform/settings.js';
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
