/**
 * HS256 JWT verification with node:crypto, synchronously. jose verifies through WebCrypto,
 * which imports the key and runs HMAC as an async job on every call; a handshake profile
 * showed that as the largest cost Tavern adds to a Socket.IO handshake. The checks are
 * jose's (`jwtVerify` with `algorithms: ['HS256']`, `requiredClaims: ['exp', 'sub']`),
 * and `hs256.test.ts` holds the two to the same verdicts. Asymmetric keys and JWKS still
 * go through jose.
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '@tavern/protocol';
import { AppError } from '../platform/app-error.js';

export interface ClaimChecks {
  /** Seconds, as jose names it. */
  clockTolerance: number;
  issuer?: string;
  audience?: string;
}

export type JwtPayload = Record<string, unknown> & { sub: string; exp: number };

function refused(message: string): AppError {
  return new AppError(ErrorCode.UNAUTHENTICATED, message);
}

function decodeJson(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw refused(`token ${what} is not base64url-encoded JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refused(`token ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

export function createHs256Verifier(secret: string, checks: ClaimChecks): (token: string) => JwtPayload {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const tolerance = checks.clockTolerance;

  return (token) => {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first <= 0 || second < 0 || token.indexOf('.', second + 1) !== -1) throw refused('token is not a compact JWS');
    const header = decodeJson(token.slice(0, first), 'header');
    if (header['alg'] !== 'HS256') throw refused('token algorithm not allowed');
    // Critical extensions (RFC 7515 4.1.11) are not understood here, so they cannot be accepted.
    if (header['crit'] !== undefined) throw refused('token refused: ERR_JOSE_NOT_SUPPORTED');

    const signature = token.slice(second + 1);
    const given = Buffer.from(signature, 'base64url');
    const expected = createHmac('sha256', key).update(token.slice(0, second)).digest();
    // Re-encoding rejects non-canonical base64url that Node's lenient decoder would accept.
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || given.toString('base64url') !== signature) {
      throw refused('token signature is invalid');
    }

    const payload = decodeJson(token.slice(first + 1, second), 'payload');
    const now = Math.floor(Date.now() / 1000);
    const { exp, nbf, iat, sub, iss, aud } = payload;
    if (exp === undefined) throw refused('token refused: exp missing');
    if (typeof exp !== 'number') throw refused('token refused: exp invalid');
    if (sub === undefined) throw refused('token refused: sub missing');
    if (typeof sub !== 'string') throw refused('token refused: sub invalid');
    if (iat !== undefined && typeof iat !== 'number') throw refused('token refused: iat invalid');
    if (nbf !== undefined) {
      if (typeof nbf !== 'number') throw refused('token refused: nbf invalid');
      if (nbf > now + tolerance) throw refused('token refused: nbf check_failed');
    }
    if (exp <= now - tolerance) throw new AppError(ErrorCode.TOKEN_EXPIRED, 'token expired');
    if (checks.issuer !== undefined && iss !== checks.issuer) throw refused('token refused: iss check_failed');
    if (checks.audience !== undefined && !(aud === checks.audience || (Array.isArray(aud) && aud.includes(checks.audience)))) {
      throw refused('token refused: aud check_failed');
    }
    return payload as JwtPayload;
  };
}
