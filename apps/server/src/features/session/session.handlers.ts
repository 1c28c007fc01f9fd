/** `auth:refresh` and `time:sync`. */
import { ErrorCode } from '@tavern/protocol';
import type { RevocationService } from '../../auth/revocation.service.js';
import { armExpiry, type ExpiryOptions } from '../../auth/session-expiry.js';
import type { TokenVerifier } from '../../auth/token-verifier.js';
import { AppError } from '../../transport/app-error.js';
import { defineHandler } from '../../transport/define-handler.js';

export interface SessionHandlerDeps {
  verifier: TokenVerifier;
  revocations: RevocationService;
  expiry: ExpiryOptions;
}

export function sessionHandlers({ verifier, revocations, expiry }: SessionHandlerDeps) {
  return [
    defineHandler('auth:refresh', async ({ socket, user }, { token }) => {
      const verified = await verifier.verify(token);
      if (verified.user.userId !== user.userId) {
        throw new AppError(ErrorCode.FORBIDDEN, 'a refreshed token must be for the same user');
      }
      await revocations.assertNotRevoked(verified.user);
      socket.data.user = verified.user;
      socket.data.expiresAt = verified.expiresAt;
      armExpiry(socket, expiry);
      return { expiresAt: verified.expiresAt };
    }),
    defineHandler('time:sync', (_ctx, { clientTime }) => ({ clientTime, serverTime: Date.now() })),
  ];
}
