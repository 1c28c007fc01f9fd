/**
 * The admin dashboard in real Chromium (Debian's, through playwright-core) against a real
 * server with real socket.io clients making traffic, refusals and rate limits: a wrong token
 * shows the refusal and no data; an admin token shows the nodes with live charts, the rooms,
 * the refusals and limits, and runs an announcement that a connected client receives.
 *
 * Each panel leaves a screenshot in `test-output/screenshots/`; with UPDATE_SCREENSHOTS=1
 * they go to `docs/screenshots/` (committed) instead.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { next, request, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL(process.env['UPDATE_SCREENSHOTS'] === '1' ? '../../../docs/screenshots' : '../test-output/screenshots', import.meta.url));
/** What one wait in the page may take: a few polls of the dashboard (every 1 s, details every 3 s). */
const WAIT = { timeout: 15_000 };

let server: TestServer;
let browser: Browser;
let profile: string;
let page: Page;
let players: ClientSocket[];
let spammer: ClientSocket;
let traffic: NodeJS.Timeout | undefined;
/** Errors the page logged (a CSP violation is one). */
const pageErrors: string[] = [];

/** Sends chat messages far faster than `chat:send`'s bucket (5/s, burst 10) allows; resolves with how many were rate limited. */
async function spam(count: number, tag: string): Promise<number> {
  let limited = 0;
  for (let i = 0; i < count; i++) {
    const sent = await request(spammer, 'chat:send', { channelId: 'global:main', content: `${tag} ${i}`, clientMsgId: `${tag}-${i}` });
    if (!sent.ok && sent.error.code === 'RATE_LIMITED') limited++;
  }
  return limited;
}

let limitedBefore = 0;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startTestServer();
  players = await Promise.all(['ada', 'bo', 'cy', 'dee'].map((userId) => server.connect(userId)));
  for (const player of players) expect((await request(player, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
  for (const player of players.slice(0, 2)) expect((await request(player, 'zone:enter', { zoneId: 'tavern-district' })).ok).toBe(true);
  spammer = await server.connect('spammer');
  expect((await request(spammer, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
  // Refusals of three kinds: rate limits, a forbidden join, a refused handshake.
  limitedBefore = await spam(20, 'before');
  expect(limitedBefore).toBeGreaterThan(0);
  expect(await request(spammer, 'chat:join', { channelId: 'guild:nobodys' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  expect(await server.refuse({ token: 'junk' })).toMatchObject({ code: 'UNAUTHENTICATED' });
  // Steady traffic under every limit (time:sync allows 20/s), so events per second is not 0.
  traffic = setInterval(() => {
    for (const player of players) request(player, 'time:sync', { clientTime: Date.now() }).catch(() => undefined);
  }, 100);

  profile = await mkdtemp(join(tmpdir(), 'tavern-admin-chromium-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--disk-cache-dir=${profile}`],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // The refusals this test provokes (a bad token, a bad id) are logged by Chromium as failed loads.
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[013]/.test(message.text())) {
      pageErrors.push(`console: ${message.text()}`);
    }
  });
});

afterAll(async () => {
  if (traffic) clearInterval(traffic);
  await browser?.close();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

async function shot(panel: string, file: string): Promise<void> {
  await page.locator(panel).screenshot({ path: join(SHOTS, `${file}.png`) });
}

async function signIn(token: string): Promise<void> {
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** How many points the first line of a chart has, once it has at least `points`. */
async function chartPoints(chart: string, points: number): Promise<number> {
  const line = page.locator(`figure[data-chart="${chart}"] polyline`).first();
  const count = async () => ((await line.count()) === 0 ? 0 : Number(await line.getAttribute('data-count')));
  await expect.poll(count, WAIT).toBeGreaterThanOrEqual(points);
  return count();
}

/** The tab's stored admin token (evaluated in the page). */
const storedToken = () => page.evaluate<string | null>("sessionStorage.getItem('tavern.admin.token')");

const tile = (panel: string, key: string) => page.locator(`${panel} [data-tile="${key}"] dd`);
const number = async (text: Promise<string | null>) => Number((await text)?.replaceAll(',', ''));

describe('the admin dashboard in Chromium', () => {
  it('is served at /admin; a wrong token or a player’s token shows the refusal and no data', async () => {
    const response = await page.goto(`${server.url}/admin`);
    expect(response?.url()).toBe(`${server.url}/admin/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);

    await signIn('not-a-token');
    const error = page.getByRole('alert');
    await error.filter({ hasText: 'The server refused this token (UNAUTHENTICATED)' }).waitFor(WAIT);
    await shot('#panel-sign-in', 'admin-sign-in-refused');
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    expect(await page.locator('#nodes-table tbody tr').count()).toBe(0);
    expect(await storedToken()).toBeNull();

    await signIn(await server.token('ada'));
    await error.filter({ hasText: 'may not use the admin API (FORBIDDEN)' }).waitFor(WAIT);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
  });

  it('with an admin token: the node, its figures and live charts', async () => {
    const token = await server.token('ops', { roles: ['admin'] });
    await signIn(token);
    await page.getByRole('heading', { name: 'Cluster' }).waitFor(WAIT);
    expect(await storedToken()).toBe(token);
    await page.locator('#nodes-table tbody th', { hasText: server.tavern.config.nodeId }).waitFor(WAIT);
    expect(await number(tile('#panel-cluster', 'nodes').textContent())).toBe(1);
    expect(await number(tile('#panel-cluster', 'connections').textContent())).toBe(5);
    expect(await number(tile('#panel-cluster', 'users').textContent())).toBe(5);
    // Two more players while the page watches: the figures follow.
    players.push(...(await Promise.all(['eve', 'finn'].map((userId) => server.connect(userId)))));
    await expect.poll(() => tile('#panel-cluster', 'connections').textContent(), WAIT).toBe('7');

    // A few polls later every chart has drawn a line with several points, and events flow.
    for (const chart of ['connections', 'users', 'rooms', 'eventsPerSecond']) expect(await chartPoints(chart, 6)).toBeGreaterThanOrEqual(6);
    await expect.poll(() => number(tile('#panel-cluster', 'eventsPerSecond').textContent()), WAIT).toBeGreaterThan(0);
    expect(await page.locator('figure[data-chart="connections"] svg').getAttribute('aria-label')).toContain(`${server.tavern.config.nodeId} 7`);
    await shot('#panel-cluster', 'admin-cluster');

    // The token stays for the tab: a reload signs in again by itself.
    await page.reload();
    await page.locator('#nodes-table tbody th', { hasText: server.tavern.config.nodeId }).waitFor(WAIT);
  });

  it('rooms by kind and the busiest rooms, filtered by kind', async () => {
    const kinds = page.locator('#kinds-table tbody tr');
    await kinds.filter({ has: page.locator('th', { hasText: /^global$/ }) }).waitFor(WAIT);
    expect(await kinds.filter({ has: page.locator('th', { hasText: /^global$/ }) }).locator('td').allTextContents()).toEqual(['1', '5']);
    expect(await kinds.filter({ has: page.locator('th', { hasText: /^user$/ }) }).locator('td').allTextContents()).toEqual(['7', '7']);
    const busiest = page.locator('#busiest-table tbody tr');
    expect(await busiest.first().locator('th').textContent()).toBe('global:main');
    expect(await busiest.first().locator('td').allTextContents()).toEqual(['global', '5']);
    await shot('#panel-rooms', 'admin-rooms');

    await page.getByLabel('Busiest rooms of kind').selectOption('zone');
    await busiest.filter({ hasText: 'zone:tavern-district' }).waitFor(WAIT);
    await expect.poll(() => busiest.count(), WAIT).toBe(1);
    expect(await busiest.first().locator('td').allTextContents()).toEqual(['zone', '2']);
    await page.getByLabel('Busiest rooms of kind').selectOption('');
  });

  it('refusals by error code, rate limits hit, refused handshakes, with a rate chart', async () => {
    const refusals = page.locator('#refusals-table tbody tr');
    const row = (name: string) => refusals.filter({ has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) }).locator('td');
    await row('RATE_LIMITED').waitFor(WAIT);
    expect(await row('RATE_LIMITED').textContent()).toBe(String(limitedBefore));
    expect(await row('FORBIDDEN').textContent()).toBe('1');
    expect(await number(tile('#panel-limits', 'rateLimited').textContent())).toBe(limitedBefore);
    expect(await number(tile('#panel-limits', 'slowConsumers').textContent())).toBe(0);
    expect(await page.locator('#rate-limited-table tbody tr', { hasText: 'chat:send' }).locator('td').textContent()).toBe(String(limitedBefore));
    expect(await page.locator('#handshakes-table tbody tr', { hasText: 'handshake UNAUTHENTICATED' }).locator('td').textContent()).toBe('1');

    // More rate limits while the page watches: the counters and the per-second chart move.
    const limitedNow = await spam(20, 'watched');
    const total = limitedBefore + limitedNow;
    await expect.poll(() => number(tile('#panel-limits', 'rateLimited').textContent()), WAIT).toBe(total);
    expect(await chartPoints('rateLimitedPerSecond', 1)).toBeGreaterThanOrEqual(1);
    expect(await page.locator('figure[data-chart="rateLimitedPerSecond"] svg').getAttribute('aria-label')).toMatch(/^Rate limits hit per second, last \d+ (s|min): cluster \d/);
    // The line left the zero line (the bottom grid line) at the burst.
    const zeroY = Number(await page.locator('figure[data-chart="rateLimitedPerSecond"] line.grid').first().getAttribute('y1'));
    const ys = (await page.locator('figure[data-chart="rateLimitedPerSecond"] polyline').getAttribute('points'))!.split(' ').map((point) => Number(point.split(',')[1]));
    expect(Math.min(...ys)).toBeLessThan(zeroY);
    await shot('#panel-limits', 'admin-refusals');
  });

  it('runs an announcement that connected clients receive, and shows a refused action’s error', async () => {
    const received = next(players[0]!, 'system:announcement', 10_000);
    const form = page.locator('form[data-action="announce"]');
    await form.getByLabel('Message to every connected client').fill('The tavern closes for maintenance at noon');
    await form.getByLabel('Priority').selectOption('warning');
    await form.getByRole('button', { name: 'Send announcement' }).click();
    expect(await received).toMatchObject({ message: 'The tavern closes for maintenance at noon', priority: 'warning' });
    await form.getByRole('status').filter({ hasText: /^Announcement .+ sent to every connected client\.$/ }).waitFor(WAIT);

    const disconnect = page.locator('form[data-action="disconnect"]');
    await disconnect.getByLabel('User id').fill('not a valid id!');
    await disconnect.getByLabel('Reason (shown to the user)').fill('testing');
    await disconnect.getByRole('button', { name: 'Disconnect every session' }).click();
    await disconnect.getByRole('status').filter({ hasText: /^INVALID_PAYLOAD: / }).waitFor(WAIT);
    expect(players[0]!.connected).toBe(true);
    await shot('#panel-actions', 'admin-actions');
  });

  it('signs out: the token leaves the tab and the data leaves the page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
    expect(await storedToken()).toBeNull();
    expect(await page.locator('#nodes-table tbody tr').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
