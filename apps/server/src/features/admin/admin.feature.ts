/** The admin HTTP API and the cross-node stats it gathers. */
import type { FeatureFactory } from '../feature.js';
import { adminRoutes } from './admin.routes.js';

export const adminFeature: FeatureFactory = (context) => ({
  name: 'admin',
  start() {
    context.io.on('tavern:stats', (ack) => ack(context.nodeStats()));
  },
  routes(app) {
    adminRoutes(app, context, context.nodeStats);
  },
});
