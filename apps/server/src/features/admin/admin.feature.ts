/** The admin HTTP API, its OpenAPI document, the cross-node figures it gathers, and the dashboard page. */
import { RoomsQuery, sessionSlice } from '@tavern/protocol';
import { defineFeature } from '../../api.js';
import { dashboardRoutes } from './admin.dashboard.js';
import { nodeMetrics } from './admin.metrics.js';
import { registerRoutes } from './admin.route.js';
import { nodeRooms } from './admin.rooms.js';
import { adminRouteTable } from './admin.routes.js';
import { adminSettings } from './admin.settings.js';

export const adminFeature = defineFeature({
  name: 'admin',
  emits: [sessionSlice],
  settings: adminSettings,
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
      if (context.settings.dashboard) dashboardRoutes(app);
    },
  }),
});
