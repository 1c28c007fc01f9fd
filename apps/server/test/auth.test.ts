import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from './support/start-server-process.js';
import { next, request, startTestServer, type TestServer } from './support/start-test-server.js';

const ISSUER = 'https://auth.tavern.test';
const AUDIENCE = 'tavern';

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('handshake with RS256, issuer and audience', () => {
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let publicPem: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicPem = await exportSPKI(pair.publicKey);
  });

  const start = () =>
    startTestServer({ config: { auth: { jwt: { kind: 'publicKey', pem: publicPem }, issuer: ISSUER, audience: AUDIENCE } } });

  function claims(overrides: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    return { sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 600, ...overrides };
  }

  const rs256 = (body: Record<string, unknown>) => new SignJWT(body).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);

  async function expectRefused(server: TestServer, token: string | null, code: string, auth: Record<string, unknown> = {}) {
    const refusal = await server.refuse({ token, auth });
    expect(refusal.code).toBe(code);
    expect(refusal.message).toEqual(expect.any(String));
    expect(server.tavern.io.of('/').sockets.size).toBe(0);
  }

  it('accepts a valid token and says session:ready', async () => {
    await using server = await start();
    const alice = await server.connect('alice', { token: await rs256(claims({ name: 'Alice' })) });
    expect(alice.ready).toMatchObject({ userId: 'alice', name: 'Alice', recovered: false });
  });

  it('refuses each bad handshake with its own code and no socket', async () => {
    await using server = await start();
    const valid = await rs256(claims());
    const [header, payload] = valid.split('.');
    const now = Math.floor(Date.now() / 1000);
    const hs256WithPublicKey = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(publicPem));
    const tampered = `${header}.${base64url(claims({ sub: 'mallory' }))}.${valid.split('.')[2]}`;

    await expectRefused(server, null, 'UNAUTHENTICATED');
    await expectRefused(server, tampered, 'UNAUTHENTICATED');
    await expectRefused(server, `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'UNAUTHENTICATED');
    await expectRefused(server, hs256WithPublicKey, 'UNAUTHENTICATED');
    await expectRefused(server, await rs256(claims({ exp: now - 60 })), 'TOKEN_EXPIRED');
    await expectRefused(server, await rs256({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: now }), 'UNAUTHENTICATED');
    await expectRefused(server, await rs256(claims({ nbf: now + 600 })), 'UNAUTHENTICATED');
    await expectRefused(server, await rs256(claims({ iss: 'https://evil.test' })), 'UNAUTHENTICATED');
    await expectRefused(server, await rs256(claims({ aud: 'someone-else' })), 'UNAUTHENTICATED');
    await expectRefused(server, valid, 'UNSUPPORTED_VERSION', { v: 99 });
    await expectRefused(server, 'not.a.jwt', 'UNAUTHENTICATED');
  });

  it('accepts a token within the 5 s clock tolerance', async () => {
    await using server = await start();
    const now = Math.floor(Date.now() / 1000);
    await server.connect('alice', { token: await rs256(claims({ exp: now - 2 })) });
  });
});

describe('token refresh and expiry', () => {
  const config = { auth: { expiryWarningMs: 1_000, clockToleranceSec: 0 } };

  it('a refreshed socket outlives its first token; an unrefreshed one gets session:ended TOKEN_EXPIRED', async () => {
    await using server = await startTestServer({ config });
    const refreshed = await server.connect('alice', { ttlSeconds: 2 });
    const stale = await server.connect('bob', { ttlSeconds: 2 });
    const firstExpiry = refreshed.ready.expiresAt;

    const warning = await next(refreshed, 'auth:expiring');
    expect(warning.expiresAt).toBe(firstExpiry);
    const refresh = await request(refreshed, 'auth:refresh', { token: await server.token('alice', { ttlSeconds: 3600 }) });
    expect(refresh.ok && refresh.data.expiresAt).toBeGreaterThan(firstExpiry);

    const ended = await next(stale, 'session:ended');
    expect(ended.reason).toBe('TOKEN_EXPIRED');
    await expect.poll(() => stale.connected).toBe(false);

    await expect.poll(() => Date.now() > firstExpiry + 50).toBe(true);
    expect(refreshed.connected).toBe(true);
    expect((await request(refreshed, 'time:sync', { clientTime: 1 })).ok).toBe(true);
    // It waits for a real 2 s token to run out; on 2 busy cores that can pass the default 5 s.
  }, 15_000);

  it('refuses a refresh with another user’s token as FORBIDDEN and keeps the old identity', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice');
    const result = await request(alice, 'auth:refresh', { token: await server.token('mallory') });
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const [socket] = server.tavern.io.of('/').sockets.values();
    expect(socket?.data.user.userId).toBe('alice');
  });

  it('refuses an expired token on refresh', async () => {
    await using server = await startTestServer({ config: { auth: { ...config.auth, jwt: { kind: 'secret', secret: TEST_JWT_SECRET } } } });
    const alice = await server.connect('alice');
    const expired = await new SignJWT({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 10 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const result = await request(alice, 'auth:refresh', { token: expired });
    expect(result).toMatchObject({ ok: false, error: { code: 'TOKEN_EXPIRED' } });
  });
});
