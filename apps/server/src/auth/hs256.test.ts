import { createHmac } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/app-error.js';
import { createHs256Verifier, type ClaimChecks } from './hs256.js';

const SECRET = 'a-test-secret-that-is-at-least-32-characters';
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token signed with HMAC-SHA256 over whatever header and payload it is given. */
function forge(header: unknown, payload: unknown, secret = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function sign(claims: Record<string, unknown>, alg = 'HS256', secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

/** What jose says (the reference) and what the node:crypto verifier says, as a code or 'ok'. */
async function verdicts(token: string, checks: ClaimChecks): Promise<{ jose: string; ours: string }> {
  const jose = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'], ...checks }).then(
    () => 'ok',
    (error: unknown) => (error instanceof errors.JWTExpired ? 'TOKEN_EXPIRED' : 'UNAUTHENTICATED'),
  );
  let ours: string;
  try {
    createHs256Verifier(SECRET, checks)(token);
    ours = 'ok';
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    ours = error.code;
  }
  return { jose, ours };
}

describe('HS256 verification with node:crypto', () => {
  const plain: ClaimChecks = { clockTolerance: 5 };
  const strict: ClaimChecks = { clockTolerance: 0, issuer: 'https://auth.test', audience: 'tavern' };
  const good = () => ({ sub: 'alice', exp: now() + 600, iat: now() });

  it('agrees with jose on every case of the refusal matrix', async () => {
    const valid = await sign(good());
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    // The last base64url character of a 32-byte MAC carries 2 unused bits: flipping them
    // keeps the bytes but makes the encoding non-canonical.
    const last = signature.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const nonCanonical = `${header}.${payload}.${signature.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;

    // [case, token, checks, verdict, jose's verdict when it differs]
    const cases: [string, string, ClaimChecks, string, string?][] = [
      ['valid', valid, plain, 'ok'],
      ['valid with issuer and audience', await sign({ ...good(), iss: 'https://auth.test', aud: 'tavern' }), strict, 'ok'],
      ['audience in a list', await sign({ ...good(), iss: 'https://auth.test', aud: ['other', 'tavern'] }), strict, 'ok'],
      ['wrong issuer', await sign({ ...good(), iss: 'https://evil.test', aud: 'tavern' }), strict, 'UNAUTHENTICATED'],
      ['wrong audience', await sign({ ...good(), iss: 'https://auth.test', aud: 'someone-else' }), strict, 'UNAUTHENTICATED'],
      ['no audience', await sign({ ...good(), iss: 'https://auth.test' }), strict, 'UNAUTHENTICATED'],
      ['expired', await sign({ sub: 'alice', exp: now() - 60 }), plain, 'TOKEN_EXPIRED'],
      ['expired within the tolerance', await sign({ sub: 'alice', exp: now() - 2 }), plain, 'ok'],
      ['not yet valid', await sign({ ...good(), nbf: now() + 600 }), plain, 'UNAUTHENTICATED'],
      ['not yet valid within the tolerance', await sign({ ...good(), nbf: now() + 2 }), plain, 'ok'],
      ['no exp', await sign({ sub: 'alice' }), plain, 'UNAUTHENTICATED'],
      ['no sub', await sign({ exp: now() + 600 }), plain, 'UNAUTHENTICATED'],
      ['exp not a number', forge({ alg: 'HS256' }, { sub: 'alice', exp: 'tomorrow' }), plain, 'UNAUTHENTICATED'],
      ['nbf not a number', forge({ alg: 'HS256' }, { ...good(), nbf: 'now' }), plain, 'UNAUTHENTICATED'],
      ['iat not a number', forge({ alg: 'HS256' }, { ...good(), iat: 'now' }), plain, 'UNAUTHENTICATED'],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`, plain, 'UNAUTHENTICATED'],
      ['HS512', await sign(good(), 'HS512'), plain, 'UNAUTHENTICATED'],
      ['HMAC under an RS256 header', forge({ alg: 'RS256' }, good()), plain, 'UNAUTHENTICATED'],
      ['another secret', await sign(good(), 'HS256', 'another-secret-that-is-at-least-32-characters'), plain, 'UNAUTHENTICATED'],
      ['tampered payload', `${header}.${b64({ ...good(), sub: 'mallory' })}.${signature}`, plain, 'UNAUTHENTICATED'],
      // Stricter than jose on purpose: one token, one spelling.
      ['non-canonical signature', nonCanonical, plain, 'UNAUTHENTICATED', 'ok'],
      ['critical header', forge({ alg: 'HS256', crit: ['exp'], exp: 1 }, good()), plain, 'UNAUTHENTICATED'],
      ['payload is a list', forge({ alg: 'HS256' }, [1, 2]), plain, 'UNAUTHENTICATED'],
      ['header is not JSON', `${b64('nope')}.${payload}.${signature}`, plain, 'UNAUTHENTICATED'],
      ['two segments', `${header}.${payload}`, plain, 'UNAUTHENTICATED'],
      ['four segments', `${valid}.x`, plain, 'UNAUTHENTICATED'],
      ['not a JWT at all', 'not.a.jwt', plain, 'UNAUTHENTICATED'],
      ['empty', '', plain, 'UNAUTHENTICATED'],
    ];
    for (const [name, token, checks, expected, joseExpected = expected] of cases) {
      expect({ name, ...(await verdicts(token, checks)) }).toEqual({ name, jose: joseExpected, ours: expected });
    }
  });

  it('returns the claims of a valid token', async () => {
    const claims = { ...good(), name: 'Alice', roles: ['admin'] };
    expect(createHs256Verifier(SECRET, plain)(await sign(claims))).toEqual(claims);
  });
});
