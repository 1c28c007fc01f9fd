/** The admin HTTP API, its OpenAPI document and the cross-node figures it gathers. */
import { RoomsQuery, sessionSlice } from '@tavern/protocol';
import { defineFeature } from '../../api.js';
import { nodeMetrics } from './admin.metrics.js';
import { registerRoutes } from './admin.route.js';
import { nodeRooms } from './admin.rooms.js';
import { adminRouteTable } from './admin.routes.js';

export const adminFeature = defineFeature({
  name: 'admin',
  emits: [sessionSlice],
  create: (context) => ({
    start() {
      const { io, config, metrics, logger } = context;
      // Other nodes' questions (only asked with Redis).
      io.on('tavern:stats', (ack) => ack(context.nodeStats()));
      io.on('tavern:rooms', (query, ack) => {
        // The asking node parsed it already; a node of another version may send something else.
        const parsed = RoomsQuery.safeParse(query);
        ack(nodeRooms(io, config.nodeId, parsed.success ? parsed.data : RoomsQuery.parse({})));
      });
      io.on('tavern:metrics', (ack) => {
        nodeMetrics(metrics, config.nodeId).then(ack, (error: unknown) => logger.error({ err: error }, 'admin metrics summary failed'));
      });
    },
    routes(app) {
      registerRoutes(app, adminRouteTable(context), { context, checkResponses: context.config.nodeEnv !== 'production' });
    },
  }),
});
