import type { ZoneSnapshot } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { clusterConfig, next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

const ZONE = 'tavern-district'; // 1000 x 1000, spawn (500, 500), max speed 200/s

/** Sends raw JSON values a hostile client can send (null, strings, huge numbers). */
function rawMove(socket: ClientSocket, payload: unknown): void {
  (socket as unknown as { emit(event: string, payload: unknown): void }).emit('character:move', payload);
}

describe('movement on one node', () => {
  it('refuses illegal moves with a correction and keeps the stored position', async () => {
    await using server = await startTestServer();
    const mover = await server.connect('mover', { characterId: 'hero' });
    const other = await server.connect('other');
    await request(other, 'zone:enter', { zoneId: ZONE });
    const entered = await request(mover, 'zone:enter', { zoneId: ZONE });
    expect(entered).toMatchObject({ ok: true, data: { zone: { id: ZONE }, you: { x: 500, y: 500 } } });

    const illegal: [string, unknown][] = [
      ['too fast', { x: 900, y: 500, seq: 1 }],
      ['out of bounds', { x: -5, y: 500, seq: 2 }],
      ['beyond the far edge', { x: 1000.5, y: 500, seq: 3 }],
      ['a huge number', { x: 1e300, y: 500, seq: 4 }],
    ];
    for (const [label, move] of illegal) {
      const corrected = next(mover, 'character:correction');
      rawMove(mover, move);
      expect(await corrected, label).toEqual({ x: 500, y: 500, seq: (move as { seq: number }).seq });
    }
    // What NaN and Infinity become in JSON (null), and strings: malformed, also answered
    // with the authoritative position.
    for (const payload of [{ x: null, y: 500, seq: 5 }, { x: '501', y: 500, seq: 6 }]) {
      const corrected = next(mover, 'character:correction');
      rawMove(mover, payload);
      expect(await corrected).toMatchObject({ x: 500, y: 500 });
    }
    // Moving without having entered a zone is refused too.
    const stranger = await server.connect('stranger');
    const notInZone = next(stranger, 'error');
    rawMove(stranger, { x: 1, y: 1, seq: 1 });
    expect(await notInZone).toMatchObject({ code: 'PRECONDITION_FAILED' });

    // The position did not change: a legal small step from (500, 500) is accepted and seen.
    const snapshot = next(other, 'zone:snapshot');
    rawMove(mover, { x: 505, y: 500, seq: 7 });
    expect((await snapshot).players).toEqual([{ characterId: 'hero', x: 505, y: 500 }]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/tavern_anticheat_refusals_total\{[^}]*kind="too_fast"[^}]*\} 1/);
  });

  it('batches 20 players moving at 20 Hz into at most one snapshot per tick, without unchanged positions', async () => {
    await using server = await startTestServer({ config: { limits: { rateLimits: { 'character:move': { ratePerSec: 100, burst: 100 } } } } });
    const players = await Promise.all(Array.from({ length: 20 }, (_, i) => server.connect(`p${i}`)));
    for (const player of players) await request(player, 'zone:enter', { zoneId: ZONE });
    const snapshots = players.map((player) => {
      const seen: ZoneSnapshot[] = [];
      player.on('zone:snapshot', (snapshot) => seen.push(snapshot));
      return seen;
    });
    const positions = new Map<string, { x: number; y: number }>();
    // 30 steps at two per tick (20 Hz); odd players stand still.
    for (let step = 1; step <= 30; step++) {
      players.forEach((player, i) => {
        if (i % 2 === 1) return;
        const position = { x: 500 + step * 5, y: 500 + i };
        positions.set(`p${i}`, position);
        rawMove(player, { ...position, seq: step });
      });
      // Two steps per server tick (100 ms), paced by the snapshots a standing player receives.
      if (step % 2 === 0) await next(players[1]!, 'zone:snapshot');
    }
    await expect.poll(() => snapshots[1]!.at(-1)?.players.find((entry) => entry.characterId === 'p0')?.x).toBe(650);
    for (const [i, seen] of snapshots.entries()) {
      const ticks = seen.map((snapshot) => snapshot.tick);
      expect(new Set(ticks).size, `player ${i} got two snapshots in one tick`).toBe(ticks.length);
      for (const snapshot of seen) {
        for (const entry of snapshot.players) expect(Number(entry.characterId.slice(1)) % 2, 'a player standing still was in a snapshot').toBe(0);
      }
    }
    // The last positions seen match the server's record.
    const finalSeen = new Map<string, { x: number; y: number }>();
    for (const snapshot of snapshots[1]!) for (const entry of snapshot.players) finalSeen.set(entry.characterId, { x: entry.x, y: entry.y });
    expect(finalSeen).toEqual(positions);
    expect(snapshots[1]!.length).toBeLessThan(30);
  });

  it('broadcasts actions with a cooldown and refuses unknown zones', async () => {
    await using server = await startTestServer();
    const a = await server.connect('a');
    const b = await server.connect('b');
    expect(await request(a, 'zone:enter', { zoneId: 'atlantis' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    for (const socket of [a, b]) await request(socket, 'zone:enter', { zoneId: ZONE });
    const seen = next(b, 'character:action');
    expect((await request(a, 'character:action', { action: 'emote', emote: 'wave' })).ok).toBe(true);
    expect(await seen).toEqual({ characterId: 'a', action: 'emote', emote: 'wave' });
    expect(await request(a, 'character:action', { action: 'emote', emote: 'wave' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });
});

describe.each(REDIS_BACKENDS)('world across two nodes (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('players on different nodes see each other enter, move and leave', async () => {
    await using nodeA = await startTestServer({ config: clusterConfig(redis().url) });
    await using nodeB = await startTestServer({ config: clusterConfig(redis().url) });
    const alice = await nodeA.connect('alice');
    const bob = await nodeB.connect('bob');
    await request(alice, 'zone:enter', { zoneId: ZONE });
    const aliceSawBob = next(alice, 'zone:player:entered');
    const joined = await request(bob, 'zone:enter', { zoneId: ZONE });
    expect(joined.ok && joined.data.players.map((player) => player.characterId)).toEqual(['alice']);
    expect(await aliceSawBob).toMatchObject({ characterId: 'bob', x: 500, y: 500 });
    await expect
      .poll(async () => {
        rawMove(bob, { x: 510, y: 500, seq: 1 });
        const snapshot = await next(alice, 'zone:snapshot', 500).catch(() => null);
        return snapshot?.players.find((player) => player.characterId === 'bob')?.x;
      })
      .toBe(510);
    const left = next(alice, 'zone:player:left');
    bob.disconnect();
    expect(await left).toEqual({ zoneId: ZONE, characterId: 'bob' });
    const again = await request(await nodeB.connect('carol'), 'zone:enter', { zoneId: ZONE });
    expect(again.ok && again.data.players.map((player) => player.characterId)).toEqual(['alice']);
  });
});
