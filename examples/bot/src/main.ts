/**
 * Runs the example bot. Configuration (the only place that reads the environment):
 *   TAVERN_URL    server URL (default http://127.0.0.1:3001)
 *   TAVERN_TOKEN  a JWT for the bot (e.g. from `pnpm -s jwt bot --name "Tavern Bot"`);
 *                 without it, a dev token from `POST /dev/token` (servers in dev mode only)
 *   TAVERN_ZONE   zone to wander (default tavern-district)
 *   BOT_USER_ID / BOT_NAME  the user a dev token is made for (default bot / Tavern Bot)
 */
import { startBot } from './bot.js';

const url = process.env['TAVERN_URL'] ?? 'http://127.0.0.1:3001';
const fixedToken = process.env['TAVERN_TOKEN'];
const userId = process.env['BOT_USER_ID'] ?? 'bot';
const name = process.env['BOT_NAME'] ?? 'Tavern Bot';

/** A token from the server's dev-mode endpoint. */
async function devToken(): Promise<string> {
  const response = await fetch(new URL('/dev/token', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, name }),
  });
  if (!response.ok) {
    throw new Error(`POST /dev/token answered ${response.status}: set TAVERN_TOKEN unless the server runs in dev mode`);
  }
  return ((await response.json()) as { token: string }).token;
}

const bot = startBot({
  url,
  getToken: fixedToken ? () => fixedToken : devToken,
  ...(process.env['TAVERN_ZONE'] && { zoneId: process.env['TAVERN_ZONE'] }),
  log: (line) => console.log(`[bot] ${line}`),
});

bot.ready.then(
  () => console.log('[bot] wandering; say "!ping" or "bot" in the zone chat'),
  (error: unknown) => {
    console.error(`[bot] ${String(error)}`);
    process.exitCode = 1;
    bot.stop();
  },
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => bot.stop());
