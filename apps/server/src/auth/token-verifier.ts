/**
 * JWT verification. The algorithm list is pinned by the key kind (HS256 for a secret,
 * RS256 or ES256 for a public key or JWKS), `exp` and `sub` are required, and issuer and
 * audience are checked when configured. A shared secret is verified synchronously with
 * node:crypto (`hs256.ts`, the handshake's hot path); public keys and JWKS with jose.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ErrorCode, TokenClaims } from '@tavern/protocol';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config.js';
import { AppError } from '../platform/app-error.js';
import type { AuthUser } from '../transport/socket-types.js';
import { createHs256Verifier } from './hs256.js';

export interface VerifiedToken {
  user: AuthUser;
  /** Epoch ms. */
  expiresAt: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
  /** Only in dev mode: signs tokens for `POST /dev/token` and tools. */
  readonly sign: ((claims: { sub: string } & Record<string, unknown>, ttlSeconds: number) => Promise<string>) | null;
}

export function createTokenVerifier(auth: Config['auth']): TokenVerifier {
  const { jwt } = auth;
  let key: Uint8Array | KeyObject | JWTVerifyGetKey;
  let algorithms: string[];
  switch (jwt.kind) {
    case 'secret':
    case 'dev':
      key = new TextEncoder().encode(jwt.secret);
      algorithms = ['HS256'];
      break;
    case 'publicKey': {
      const publicKey = createPublicKey(jwt.pem);
      key = publicKey;
      algorithms = publicKey.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'];
      break;
    }
    case 'jwks':
      key = createRemoteJWKSet(new URL(jwt.url), { cooldownDuration: 30_000, timeoutDuration: 5_000 });
      algorithms = ['RS256', 'ES256'];
      break;
  }

  const options = {
    algorithms,
    requiredClaims: ['exp', 'sub'],
    clockTolerance: auth.clockToleranceSec,
    ...(auth.issuer !== undefined && { issuer: auth.issuer }),
    ...(auth.audience !== undefined && { audience: auth.audience }),
  };

  const verifyHs256 = jwt.kind === 'secret' || jwt.kind === 'dev' ? createHs256Verifier(jwt.secret, options) : null;

  async function verify(token: string): Promise<VerifiedToken> {
    let payload: JWTPayload;
    if (verifyHs256) {
      payload = verifyHs256(token);
    } else {
      try {
        // jose takes a key or a key resolver; both are valid here.
        ({ payload } = await jwtVerify(token, key as Uint8Array, options));
      } catch (error) {
        throw toAuthError(error);
      }
    }
    const claims = TokenClaims.safeParse(payload);
    if (!claims.success) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, `token claims are invalid: ${claims.error.issues[0]?.path.join('.')} ${claims.error.issues[0]?.message}`);
    }
    const { sub, name, cid, roles, guilds, mmr, jti, exp } = claims.data;
    return {
      user: {
        userId: sub,
        name: name?.trim() || sub,
        characterId: cid ?? null,
        roles: roles ?? ['player'],
        guilds: guilds ?? [],
        mmr: mmr ?? null,
        jti: jti ?? null,
        issuedAt: typeof payload.iat === 'number' ? payload.iat : null,
      },
      expiresAt: Math.floor(exp * 1000),
    };
  }

  const sign =
    jwt.kind === 'dev' || jwt.kind === 'secret'
      ? (claims: { sub: string } & Record<string, unknown>, ttlSeconds: number) => {
          let builder = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(`${ttlSeconds}s`);
          if (auth.issuer) builder = builder.setIssuer(auth.issuer);
          if (auth.audience) builder = builder.setAudience(auth.audience);
          return builder.sign(new TextEncoder().encode(jwt.secret));
        }
      : null;

  return { verify, sign };
}

function toAuthError(error: unknown): AppError {
  if (error instanceof errors.JWTExpired) return new AppError(ErrorCode.TOKEN_EXPIRED, 'token expired');
  if (error instanceof errors.JWKSTimeout) return new AppError(ErrorCode.UNAVAILABLE, 'key set did not answer in time');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AppError(ErrorCode.UNAUTHENTICATED, `token refused: ${error.claim} ${error.reason}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new AppError(ErrorCode.UNAUTHENTICATED, 'token algorithm not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AppError(ErrorCode.UNAUTHENTICATED, 'token signature is invalid');
  if (error instanceof errors.JOSEError) return new AppError(ErrorCode.UNAUTHENTICATED, `token refused: ${error.code}`);
  // Fetching a key set can fail like any network call.
  if (error instanceof TypeError) return new AppError(ErrorCode.UNAVAILABLE, 'key set could not be fetched');
  return new AppError(ErrorCode.UNAUTHENTICATED, 'token refused');
}
