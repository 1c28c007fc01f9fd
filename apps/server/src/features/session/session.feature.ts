/** Session upkeep every connection needs: `auth:refresh` and `time:sync`, and the session slice's events. */
import { ErrorCode, sessionSlice } from '@tavern/protocol';
import { AppError, armExpiry, defineFeature } from '../../api.js';

export const sessionFeature = defineFeature({
  name: 'session',
  slice: sessionSlice,
  create: ({ config, verifier, revocations, registry, endSession }) => {
    const expiry = { warningMs: config.auth.expiryWarningMs, toleranceMs: config.auth.clockToleranceSec * 1000, endSession };
    return {
      handlers: {
        'auth:refresh': async ({ socket, user }, { token }) => {
          const verified = await verifier.verify(token);
          if (verified.user.userId !== user.userId) {
            throw new AppError(ErrorCode.FORBIDDEN, 'a refreshed token must be for the same user');
          }
          await revocations.assertNotRevoked(verified.user);
          socket.data.user = verified.user;
          socket.data.expiresAt = verified.expiresAt;
          armExpiry(socket, expiry);
          registry.holdSession(socket);
          return { expiresAt: verified.expiresAt };
        },
        'time:sync': (_ctx, { clientTime }) => ({ clientTime, serverTime: Date.now() }),
      },
    };
  },
});
