/**
 * Two visitors in real Chromium (Debian's, through playwright-core) use the built demo page
 * and the SDK it bundles: they see each other, chat, whisper, move, form a party, play a
 * poker round and a game of tag in a game room (open, then one matchmaking made for them), and
 * one sees the other go offline. Each step leaves a screenshot in
 * `apps/web/screenshots/` for a person to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, startDemoServer } from './start-demo-server.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../screenshots', import.meta.url));

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Browser;
let profile: string;
let ada: Page;
let bo: Page;

beforeAll(async () => {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error(`build the page first: ${DIST} has no index.html`);
  mkdirSync(SHOTS, { recursive: true });
  server = await startDemoServer();
  // A fresh profile, and nothing that reaches for the internet (this machine has none).
  profile = await mkdtemp(join(tmpdir(), 'tavern-chromium-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--disk-cache-dir=${profile}`],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.[Symbol.asyncDispose]();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** A visitor in a browser context of their own (own storage, own connection). */
async function visit(name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1240, height: 820 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${name}] page error:`, error));
  await page.goto(server.url);
  await page.getByTestId('name').fill(name);
  await page.getByRole('button', { name: 'Enter the square' }).click();
  await page.locator('[data-testid=connection][data-state=connected]').waitFor();
  return page;
}

async function shot(page: Page, step: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${step}.png`), ...options });
}

function person(page: Page, name: string) {
  return page.getByTestId('person').filter({ hasText: name });
}

describe('Tavern Square in Chromium', () => {
  it('two visitors enter the square and see each other', async () => {
    ada = await visit('Ada');
    bo = await visit('Bo');
    await person(ada, 'Bo').and(ada.locator('[data-here=yes]')).waitFor();
    await person(bo, 'Ada').and(bo.locator('[data-here=yes]')).waitFor();
    await shot(ada, '01-ada-sees-bo');
  });

  it('they chat in the zone, with typing indicators, and whisper', async () => {
    await ada.getByTestId('chat-input').pressSequentially('hello Bo');
    await bo.getByTestId('typing').filter({ hasText: 'Ada is typing' }).waitFor();
    await ada.getByTestId('chat-input').press('Enter');
    await bo.getByTestId('chat-message').filter({ hasText: 'hello Bo' }).waitFor();
    await bo.getByTestId('chat-input').fill('hi Ada!');
    await bo.getByTestId('chat-input').press('Enter');
    await ada.getByTestId('chat-message').filter({ hasText: 'hi Ada!' }).waitFor();

    await bo.getByTestId('chat-to').selectOption({ label: 'whisper Ada' });
    await bo.getByTestId('chat-input').fill('psst, a secret');
    await bo.getByTestId('chat-input').press('Enter');
    await ada.locator('.whisper').filter({ hasText: 'psst, a secret' }).waitFor();
    await shot(ada, '02-chat-and-whisper');
    await shot(bo, '02-chat-bo');
  });

  it('each sees the other move', async () => {
    const before = Number(await person(ada, 'Bo').getAttribute('data-x'));
    await bo.locator('body').click({ position: { x: 5, y: 5 } }); // focus the page, not the chat box
    await bo.keyboard.down('ArrowRight');
    await ada.waitForFunction(
      (start) => Number(document.querySelector('[data-testid=person][data-here=yes]')?.getAttribute('data-x')) > start + 40,
      before,
    );
    await bo.keyboard.up('ArrowRight');
    // And the other way round, by clicking on the canvas.
    const adaBefore = Number(await person(bo, 'Ada').getAttribute('data-y'));
    const canvas = ada.getByTestId('zone');
    const box = (await canvas.boundingBox())!;
    await canvas.click({ position: { x: box.width / 2, y: box.height * 0.9 } });
    await bo.waitForFunction(
      (start) => Number(document.querySelector('[data-testid=person][data-here=yes]')?.getAttribute('data-y')) > start + 40,
      adaBefore,
    );
    await shot(ada, '03-moved');
  });

  it('they form a party', async () => {
    await person(ada, 'Bo').getByRole('button', { name: 'Invite' }).click();
    await bo.getByTestId('party-invite').getByRole('button', { name: 'Join' }).click();
    await ada.getByTestId('party-members').filter({ hasText: 'Bo' }).waitFor();
    await bo.getByTestId('party-members').filter({ hasText: 'Ada' }).waitFor();
    await shot(bo, '04-party');
  });

  it('they play a planning-poker round', async () => {
    await ada.getByTestId('poker-join').click();
    await ada.getByText('(you facilitate)').waitFor();
    await bo.getByTestId('poker-join').click();
    await ada.getByTestId('poker-player').filter({ hasText: 'Bo' }).waitFor();
    await ada.getByTestId('poker-story-input').fill('Add a tavern map');
    await ada.getByTestId('poker-story-input').press('Enter');
    await bo.getByTestId('poker-story').filter({ hasText: 'Add a tavern map' }).waitFor();

    await ada.getByTestId('poker-card').filter({ hasText: /^5$/ }).click();
    await bo.getByTestId('poker-card').filter({ hasText: /^8$/ }).click();
    await ada.locator('[data-testid=poker-player][data-voted=yes]').nth(1).waitFor();
    // Votes stay hidden until the reveal.
    expect(await bo.getByTestId('poker-vote').count()).toBe(0);
    await ada.getByTestId('poker-reveal').click();
    await bo.getByTestId('poker-consensus').filter({ hasText: 'average 6.5' }).waitFor();
    expect((await ada.getByTestId('poker-vote').allTextContents()).sort()).toEqual(['5', '8']);
    await shot(bo, '05-poker-revealed');
  });

  it('they play tag in a game room: Ada is it, runs into Bo, and Bo sees that he is it now', async () => {
    await ada.getByTestId('tag-join').click();
    await ada.getByTestId('tag-status').filter({ hasText: 'You are it' }).waitFor();
    await bo.getByTestId('tag-join').click();
    await bo.getByTestId('tag-status').filter({ hasText: 'Ada is it' }).waitFor();
    const boOnAdasPage = ada.locator('[data-testid=runner][data-user=Bo]');
    await boOnAdasPage.waitFor();
    // Ada clicks where Bo stands: the server runs her there, and her touch tags him.
    const arena = ada.getByTestId('arena');
    const box = (await arena.boundingBox())!;
    const [x, y] = [Number(await boOnAdasPage.getAttribute('data-x')), Number(await boOnAdasPage.getAttribute('data-y'))];
    await arena.click({ position: { x: (x / 480) * box.width, y: (y / 300) * box.height } });
    await bo.getByTestId('tag-status').filter({ hasText: 'You are it' }).waitFor({ timeout: 30_000 });
    await bo.getByTestId('tag-last').filter({ hasText: 'Ada tagged Bo' }).waitFor();
    await bo.locator('[data-testid=tag-score][data-user=Ada][data-tags="1"]').waitFor();
    await ada.locator('[data-testid=runner][data-user=Bo][data-it=yes]').waitFor();
    // Ada runs off to the left edge; Bo sees her go, but never where she is heading.
    await arena.click({ position: { x: box.width * 0.1, y: box.height * 0.5 } });
    await ada.getByTestId('arena-target').waitFor();
    await bo.waitForFunction((start) => Number(document.querySelector('[data-testid=runner][data-user=Ada]')?.getAttribute('data-x')) < start - 100, x);
    expect(await bo.getByTestId('arena-target').count()).toBe(0);
    await shot(bo, '06-tag-bo-is-it', { fullPage: true });
  });

  it('they leave the open arena and find each other through matchmaking, in a private arena of their own', async () => {
    const open = await ada.getByTestId('tag').getAttribute('data-room');
    for (const page of [ada, bo]) {
      await page.getByTestId('tag').getByRole('button', { name: 'Leave the arena' }).click();
      await page.getByTestId('tag-find').click();
    }
    await ada.getByTestId('tag').filter({ hasText: '2 playing' }).waitFor({ timeout: 30_000 });
    await bo.getByTestId('tag').filter({ hasText: '2 playing' }).waitFor({ timeout: 30_000 });
    const matched = await ada.getByTestId('tag').getAttribute('data-room');
    expect(matched).not.toBe(open);
    expect(await bo.getByTestId('tag').getAttribute('data-room')).toBe(matched);
    await ada.getByTestId('tag-status').filter({ hasText: /You are it|Bo is it/ }).waitFor();
  });

  it('when one closes the page, the other sees them go offline', async () => {
    await bo.context().close();
    await person(ada, 'Bo').and(ada.locator('[data-here=no]')).waitFor();
    await person(ada, 'Bo').and(ada.locator('[data-status=offline]')).waitFor();
    await ada.locator('[data-testid=runner][data-user=Bo][opacity="0.4"]').waitFor(); // and his runner is greyed out
    await ada.evaluate(() => window.scrollTo(0, 0)); // the arena's clicks scrolled the page
    await shot(ada, '07-bo-offline', { fullPage: true });
  });
});
