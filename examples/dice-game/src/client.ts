/**
 * A player, on the SDK typed by the game's contract: enters a zone, rolls a d20, waits for the
 * zone's `dice:rolled`, then shows the two refusals a player can meet (a d1 is no die:
 * `INVALID_PAYLOAD`; ten rolls at once: `RATE_LIMITED` past the dice slice's own limit) and
 * prints it all as one line of JSON.
 *
 *   node dist/client.js [url] [userId]
 *
 * The token is TAVERN_TOKEN, else one from the server's `POST /dev/token` (dev mode only).
 */
import { createClient } from '@tavern/client-sdk';
import type { DiceContract } from './contract.js';
import type { DiceRolled } from './dice.slice.js';

const [url = 'http://127.0.0.1:3001', userId = 'ada'] = process.argv.slice(2);
const zoneId = process.env['TAVERN_ZONE'] ?? 'tavern-district';
const fixedToken = process.env['TAVERN_TOKEN'];

async function devToken(): Promise<string> {
  const response = await fetch(new URL('/dev/token', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, name: userId }),
  });
  if (!response.ok) throw new Error(`POST /dev/token answered ${response.status}: set TAVERN_TOKEN unless the server runs in dev mode`);
  return ((await response.json()) as { token: string }).token;
}

/** The next `dice:rolled`, or a rejection after `ms`. */
function nextRoll(ms: number): Promise<DiceRolled> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no dice:rolled within ${ms} ms`));
    }, ms);
    const stop = client.on('dice:rolled', (rolled) => {
      clearTimeout(timer);
      stop();
      resolve(rolled);
    });
  });
}

// Type-only import of the contract: the client ships no schemas, and the server validates.
const client = createClient<DiceContract>({
  url,
  getToken: fixedToken ? () => fixedToken : devToken,
  socketOptions: { transports: ['websocket'] },
});

try {
  const entered = await client.request('zone:enter', { zoneId });
  if (!entered.ok) throw new Error(`zone:enter refused: ${entered.error.code} ${entered.error.message}`);

  const heard = nextRoll(5_000);
  const roll = await client.request('dice:roll', { zoneId, sides: 20 });
  const rolled = await heard;
  if (roll.ok) process.stderr.write(`${roll.data.name} rolled ${roll.data.value} on a d${roll.data.sides}\n`);

  const malformed = await client.request('dice:roll', { zoneId, sides: 1 });
  const flood = await Promise.all(Array.from({ length: 10 }, () => client.request('dice:roll', { zoneId, sides: 6 })));

  process.stdout.write(`${JSON.stringify({ roll, rolled, malformed, flood: flood.map((result) => (result.ok ? 'OK' : result.error.code)) })}\n`);
} finally {
  client.close();
}
