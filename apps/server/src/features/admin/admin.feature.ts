/** The admin HTTP API and the cross-node stats it gathers. */
import { sessionSlice } from '@tavern/protocol';
import { defineFeature } from '../../api.js';
import { adminRoutes } from './admin.routes.js';

export const adminFeature = defineFeature({
  name: 'admin',
  emits: [sessionSlice],
  create: (context) => ({
    start() {
      context.io.on('tavern:stats', (ack) => ack(context.nodeStats()));
    },
    routes(app) {
      adminRoutes(app, context);
    },
  }),
});
