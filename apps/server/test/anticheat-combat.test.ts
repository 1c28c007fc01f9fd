import type { CombatResult, CombatState } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

const config = { features: { combat: { turnMs: 60_000, sweepMs: 50 } }, limits: { rateLimits: { 'combat:action': { ratePerSec: 100, burst: 100 } } } };

/** Every key anywhere in a JSON value. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
  return [];
}

/** Fights the bandit to the end attacking every turn; returns what the client received. */
async function fightBandit(socket: ClientSocket, characterId: string) {
  const received: unknown[] = [];
  const results = new Map<number, CombatResult>();
  const onResult = (result: CombatResult) => {
    received.push(result);
    results.set(result.turn, result);
  };
  const onOther = (payload: unknown) => received.push(payload);
  socket.on('combat:result', onResult);
  socket.on('combat:turn', onOther);
  socket.on('combat:ended', onOther);
  try {
    const ended = next(socket, 'combat:ended', 20_000);
    let over = false;
    void ended.then(() => (over = true));
    const started = await request(socket, 'combat:start', { opponents: [{ type: 'npc', id: 'bandit' }] });
    if (!started.ok) throw new Error(started.error.message);
    received.push(started.data);
    const latest = (): CombatState => [...results.values()].sort((x, y) => y.turn - x.turn)[0]?.state ?? started.data.state;
    for (;;) {
      await expect.poll(() => over || latest().currentActorId === characterId, { timeout: 10_000 }).toBe(true);
      if (over) break;
      const state = latest();
      const bandit = state.combatants.find((each) => each.kind === 'npc')!;
      const acted = await request(socket, 'combat:action', { sessionId: state.sessionId, turn: state.turn, action: 'attack', targetId: bandit.id });
      if (!acted.ok) throw new Error(acted.error.message);
      onResult(acted.data.result);
    }
    await ended;
    const { sessionId, zoneId, turn, order, combatants } = started.data.state;
    const rolls = [...results.values()].sort((x, y) => x.turn - y.turn).flatMap((result) => result.effects.map((effect) => effect.damage ?? null));
    return { received, start: { zoneId, turn, order, combatants }, sessionId, rolls };
  } finally {
    socket.off('combat:result', onResult);
    socket.off('combat:turn', onOther);
    socket.off('combat:ended', onOther);
  }
}

describe('anti-cheat: combat dice', () => {
  it('no combat event carries the seed, and fights from the same public state roll differently (combat rolls are predictable)', async () => {
    await using server = await startTestServer({ config });
    const hero = await server.connect('hero');
    await request(hero, 'zone:enter', { zoneId: 'dark-forest' });
    const fights: Awaited<ReturnType<typeof fightBandit>>[] = [];
    // Initiative is rolled too: fight until two fights started from the same public state.
    let pair: [(typeof fights)[number], (typeof fights)[number]] | undefined;
    while (!pair && fights.length < 12) {
      const fight = await fightBandit(hero, 'hero');
      for (const event of fight.received) expect(keysOf(event), `${fight.sessionId} sent its seed`).not.toContain('seed');
      const twin = fights.find((each) => JSON.stringify(each.start) === JSON.stringify(fight.start));
      if (twin) pair = [twin, fight];
      fights.push(fight);
    }
    expect(pair, 'two fights with the same public start').toBeDefined();
    // The same public state and the same moves, yet other dice: nothing the client got predicts them.
    expect(pair![0].rolls).not.toEqual(pair![1].rolls);
  });
});
