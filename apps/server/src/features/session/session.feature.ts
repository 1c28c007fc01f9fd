/** Session upkeep every connection needs: `auth:refresh` and `time:sync`. */
import type { FeatureFactory } from '../feature.js';
import { sessionHandlers } from './session.handlers.js';

export const sessionFeature: FeatureFactory = ({ config, verifier, revocations, endSession }) => ({
  name: 'session',
  handlers: sessionHandlers({
    verifier,
    revocations,
    expiry: {
      warningMs: config.auth.expiryWarningMs,
      toleranceMs: config.auth.clockToleranceSec * 1000,
      endSession,
    },
  }),
});
