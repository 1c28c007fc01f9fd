/**
 * HS256 JWTs signed with node:crypto: thousands of tokens in milliseconds, before any
 * timing starts, with the claims Tavern reads (`sub`, `name`, `cid`, `guilds`, `exp`).
 */
import { createHmac } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export interface BenchClaims {
  sub: string;
  name?: string;
  cid?: string;
  guilds?: string[];
  roles?: string[];
}

export function signToken(secret: string, claims: BenchClaims, ttlSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(JSON.stringify({ ...claims, iat: now, exp: now + ttlSeconds })).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${HEADER}.${body}`).digest('base64url');
  return `${HEADER}.${body}.${signature}`;
}
