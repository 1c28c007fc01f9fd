import { describe, expect, it } from 'vitest';
import { request, startTestServer, type ClientSocket } from './support/start-test-server.js';

const ZONE = 'dark-forest'; // 2000 x 2000, spawn (100, 100), max speed 250/s
const SPAWN = { x: 100, y: 100 };
/** 250 units/s * the 1.25 tolerance, and the 250 ms burst the travel budget holds. */
const RATE = 312.5;
const BURST = RATE * 0.25;

function watchCorrections(socket: ClientSocket) {
  const corrections: { x: number; y: number; seq: number }[] = [];
  socket.on('character:correction', (correction) => corrections.push(correction));
  return {
    get seqs() {
      return corrections.map((each) => each.seq);
    },
    /** The correction answering move `seq`. */
    async of(seq: number) {
      await expect.poll(() => corrections.some((each) => each.seq === seq)).toBe(true);
      return corrections.find((each) => each.seq === seq)!;
    },
  };
}

describe('anti-cheat: movement', () => {
  it('a burst of 40 moves of 15 units is mostly corrected and never outruns real time (movement burst)', async () => {
    // A rate limit roomier than the default (burst 40), so the last move below is not rate limited:
    // the travel budget must hold on its own.
    await using server = await startTestServer({ config: { limits: { rateLimits: { 'character:move': { ratePerSec: 100, burst: 100 } } } } });
    const cheater = await server.connect('cheater', { characterId: 'cheater' });
    const observer = await server.connect('observer');
    await request(observer, 'zone:enter', { zoneId: ZONE });
    await request(cheater, 'zone:enter', { zoneId: ZONE });
    const corrections = watchCorrections(cheater);
    // Every position the server holds for the cheater, with when it was seen.
    const seen: { distance: number; at: number }[] = [];
    observer.on('zone:snapshot', (snapshot) => {
      const entry = snapshot.players.find((each) => each.characterId === 'cheater');
      if (entry) seen.push({ distance: Math.hypot(entry.x - SPAWN.x, entry.y - SPAWN.y), at: performance.now() });
    });

    // 15 units along the diagonal (600 in all): the old rules granted each move of a burst 50 ms,
    // 15.6 units here, so all 40 were accepted.
    const step = 15 / Math.SQRT2;
    const startedAt = performance.now();
    for (let seq = 1; seq <= 40; seq++) cheater.emit('character:move', { x: SPAWN.x + step * seq, y: SPAWN.y + step * seq, seq });
    // Moves are handled in order: the answer to a last, always illegal, move comes after all 40.
    cheater.emit('character:move', { x: -1, y: 0, seq: 41 });
    const final = await corrections.of(41);
    const elapsedS = (performance.now() - startedAt) / 1000;

    const refused = corrections.seqs.filter((seq) => seq <= 40).length;
    expect(refused, 'moves of the burst refused').toBeGreaterThanOrEqual(30);
    const finalDistance = Math.hypot(final.x - SPAWN.x, final.y - SPAWN.y);
    expect(finalDistance).toBeLessThanOrEqual(BURST + RATE * elapsedS);
    for (const { distance, at } of seen) expect(distance).toBeLessThanOrEqual(BURST + (RATE * (at - startedAt)) / 1000);
  });

  it('entering the zone again does not refill the travel budget (movement burst)', async () => {
    await using server = await startTestServer({ config: { limits: { rateLimits: { 'character:move': { ratePerSec: 100, burst: 100 } } } } });
    const cheater = await server.connect('cheater');
    const corrections = watchCorrections(cheater);
    let seq = 0;
    let accepted = 0;
    const startedAt = performance.now();
    for (let round = 0; round < 5; round++) {
      const entered = await request(cheater, 'zone:enter', { zoneId: ZONE });
      if (!entered.ok) throw new Error(entered.error.message);
      const from = entered.data.you;
      const first = seq + 1;
      for (let i = 1; i <= 10; i++) cheater.emit('character:move', { x: from.x + 15 * i, y: from.y, seq: ++seq });
      cheater.emit('character:move', { x: -1, y: 0, seq: ++seq });
      await corrections.of(seq);
      accepted += 10 - corrections.seqs.filter((each) => each >= first && each < seq).length;
    }
    const elapsedS = (performance.now() - startedAt) / 1000;
    // Five entries, each followed by a burst: together no more travel than one budget and the time.
    expect(accepted * 15).toBeLessThanOrEqual(BURST + RATE * elapsedS);
  });

  it('moves at max speed on the client tick rate are never corrected', async () => {
    await using server = await startTestServer();
    const walker = await server.connect('walker');
    await request(walker, 'zone:enter', { zoneId: ZONE });
    const corrections = watchCorrections(walker);
    const tickMs = 50; // apps/web's MOVE_INTERVAL_MS
    const step = (250 * tickMs) / 1000;
    walker.emit('character:move', { x: 1000, y: SPAWN.y, seq: 0 }); // far from spawn: refused, a known start
    await corrections.of(0);
    let x = SPAWN.x;
    for (let seq = 1; seq <= 30; seq++) {
      x += step;
      walker.emit('character:move', { x, y: SPAWN.y, seq });
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
    walker.emit('character:move', { x: -1, y: 0, seq: 31 });
    expect(await corrections.of(31)).toEqual({ x, y: SPAWN.y, seq: 31 });
    expect(corrections.seqs).toEqual([0, 31]);
  });
});
