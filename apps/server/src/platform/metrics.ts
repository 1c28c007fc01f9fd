/**
 * Prometheus metrics (prom-client), one registry per server instance so that several
 * servers in one process (tests) do not share counters. Served at `GET /metrics`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-metrics.js';

export function createMetrics(options: { nodeId: string; collectDefaults?: boolean }) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: options.nodeId });
  if (options.collectDefaults !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

  const metrics = {
    registry,
    connections: new Gauge({ name: 'tavern_connections', help: 'Open Socket.IO connections on this node', registers: [registry] }),
    users: new Gauge({ name: 'tavern_users', help: 'Distinct users connected to this node', registers: [registry] }),
    rooms: new Gauge({ name: 'tavern_rooms', help: 'Rooms with at least one socket on this node', registers: [registry] }),
    handshakes: new HotCounter({
      name: 'tavern_handshakes_total',
      help: 'Handshakes by outcome (ok or the connect_error code)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    events: new HotCounter({
      name: 'tavern_events_total',
      help: 'Client events received, by event and outcome (ok or the error code)',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    handlerDuration: new HotHistogram<'event'>(
      'tavern_handler_duration_seconds',
      'Time from receiving a client event to its ack',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registry,
    ),
    acks: new HotCounter({
      name: 'tavern_acks_total',
      help: 'Acks sent, by code (OK or the error code)',
      labelNames: ['code'],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'tavern_rate_limited_total',
      help: 'Events refused by a rate limit (the per-socket or the per-user token bucket), by event',
      labelNames: ['event'],
      registers: [registry],
    }),
    capRefusals: new Counter({
      name: 'tavern_cap_refusals_total',
      help: 'Refusals by a cap: rooms_per_socket, sockets_per_user, handshakes_per_ip, events_per_user, chat_channel_rate, engine_opens_per_ip, engine_pending_per_ip',
      labelNames: ['cap'],
      registers: [registry],
    }),
    floodDisconnects: new Counter({
      name: 'tavern_flood_disconnects_total',
      help: 'Sockets disconnected for flooding far past their rate limits',
      registers: [registry],
    }),
    slowConsumerDisconnects: new Counter({
      name: 'tavern_slow_consumer_disconnects_total',
      help: 'Sockets disconnected because their unsent queue passed the limit',
      registers: [registry],
    }),
    antiCheatRefusals: new Counter({
      name: 'tavern_anticheat_refusals_total',
      help: 'Refused moves and actions, by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    redisUp: new Gauge({
      name: 'tavern_redis_up',
      help: '1 while Redis answers health checks, 0 otherwise (absent without Redis)',
      registers: [registry],
    }),
    redisDataLosses: new Counter({
      name: 'tavern_redis_data_losses_total',
      help: 'Times this node found that Redis had lost its data (epoch marker missing or replaced), with or without an outage',
      registers: [registry],
    }),
    redisPublishFailures: new Counter({
      name: 'tavern_redis_publish_failures_total',
      help: 'Cross-node publishes that failed or were skipped while Redis was unhealthy',
      registers: [registry],
    }),
    hookCalls: new Counter({
      name: 'tavern_hook_calls_total',
      help: 'Extension hook calls (connect, message, command) by outcome: ok, refused, failed_open, failed_closed, dropped',
      labelNames: ['hook', 'outcome'],
      registers: [registry],
    }),
    internalErrors: new Counter({
      name: 'tavern_internal_errors_total',
      help: 'Unexpected errors caught by the server (handlers, hooks, timers)',
      labelNames: ['where'],
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
