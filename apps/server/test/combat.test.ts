import type { CombatState } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { clusterConfig, next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

const unlimited = { limits: { rateLimits: { 'combat:action': { ratePerSec: 100, burst: 100 } } } };
const slowTurns = { features: { combat: { turnMs: 60_000, sweepMs: 50 } }, ...unlimited };
const fastTurns = { features: { combat: { turnMs: 400, sweepMs: 50 } }, ...unlimited };

/** The newest fight state a socket has seen (results can arrive before the ack that caused them). */
function track(sockets: ClientSocket[], start: CombatState) {
  let state = start;
  const see = (next: CombatState) => {
    if (next.turn > state.turn || next.status === 'ended') state = next;
  };
  for (const socket of sockets) socket.on('combat:result', (result) => see(result.state));
  return {
    get state() {
      return state;
    },
    see,
    /** Waits until it is `actorId`'s turn or the fight is over. */
    async turnOf(actorId: string) {
      await expect.poll(() => state.status === 'ended' || state.currentActorId === actorId, { timeout: 10_000 }).toBe(true);
      return state;
    },
  };
}

async function fightUntilOver(socket: ClientSocket, characterId: string, fight: ReturnType<typeof track>): Promise<string> {
  const ended = next(socket, 'combat:ended', 20_000);
  for (;;) {
    const state = await fight.turnOf(characterId);
    if (state.status === 'ended') break;
    const target = state.combatants.find((each) => each.team === 'b' && each.alive && !each.fled)!;
    const acted = await request(socket, 'combat:action', { sessionId: state.sessionId, turn: state.turn, action: 'attack', targetId: target.id });
    if (!acted.ok) throw new Error(acted.error.message);
    fight.see(acted.data.result.state);
  }
  return (await ended).outcome;
}

describe('combat on one node', () => {
  it('refuses illegal actions with PRECONDITION_FAILED and fights an NPC to the end', async () => {
    await using server = await startTestServer({ config: slowTurns });
    const hero = await server.connect('hero');
    const stranger = await server.connect('stranger');
    expect(await request(hero, 'combat:start', { opponents: [{ type: 'npc', id: 'wolf' }] })).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED' } });
    await request(hero, 'zone:enter', { zoneId: 'dark-forest' });
    await request(stranger, 'zone:enter', { zoneId: 'dark-forest' });
    expect(await request(hero, 'combat:start', { opponents: [{ type: 'npc', id: 'dragon' }] })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const started = await request(hero, 'combat:start', { opponents: [{ type: 'npc', id: 'bandit' }] });
    if (!started.ok) throw new Error(started.error.message);
    const fight = track([hero], started.data.state);
    const statuses: { hp: number; mana: number }[] = [];
    hero.on('character:status', (status) => statuses.push(status));
    const { sessionId } = started.data;
    let state = await fight.turnOf('hero');
    const bandit = state.combatants.find((each) => each.kind === 'npc')!.id;

    const refused = async (payload: Parameters<typeof request<'combat:action'>>[2], socket = hero) =>
      expect(await request(socket, 'combat:action', payload)).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED' } });
    await refused({ sessionId, turn: state.turn + 1, action: 'attack', targetId: bandit }); // stale or future turn
    await refused({ sessionId, turn: state.turn, action: 'attack', targetId: 'hero' }); // own side
    await refused({ sessionId, turn: state.turn, action: 'attack', targetId: 'npc.ghost.9' }); // not in the fight
    await refused({ sessionId, turn: state.turn, action: 'attack', targetId: bandit }, stranger); // someone else's session
    await refused({ sessionId, turn: state.turn, action: 'skill', skillId: 'meteor', targetId: bandit });

    const fireball = await request(hero, 'combat:action', { sessionId, turn: state.turn, action: 'skill', skillId: 'fireball', targetId: bandit });
    if (!fireball.ok) throw new Error(fireball.error.message);
    fight.see(fireball.data.result.state);
    state = await fight.turnOf('hero');
    if (state.status === 'active') {
      await refused({ sessionId, turn: state.turn, action: 'skill', skillId: 'fireball', targetId: bandit }); // cooldown
    }
    expect(['victory', 'defeat']).toContain(await fightUntilOver(hero, 'hero', fight));
    state = fight.state;
    // The fireball cost mana, the bandit hit back: the server pushed the hero's status.
    await expect.poll(() => statuses.some((status) => status.mana === 35)).toBe(true);
    // A fight that is over takes no more actions.
    await refused({ sessionId, turn: state.turn, action: 'attack', targetId: bandit });
  });

  it('runs out of mana: PRECONDITION_FAILED', async () => {
    await using server = await startTestServer({ config: slowTurns });
    const mage = await server.connect('mage');
    await request(mage, 'zone:enter', { zoneId: 'tavern-district' });
    const started = await request(mage, 'combat:start', { opponents: [{ type: 'npc', id: 'training-dummy' }] });
    if (!started.ok) throw new Error(started.error.message);
    const fight = track([mage], started.data.state);
    // heal costs 10 mana (cooldown 2 turns): 50 mana is five heals.
    for (let turns = 0; turns < 40; turns++) {
      const state = await fight.turnOf('mage');
      if (state.status === 'ended') throw new Error('the fight ended first');
      const me = state.combatants.find((each) => each.id === 'mage')!;
      if (me.mana < 10) {
        expect(await request(mage, 'combat:action', { sessionId: state.sessionId, turn: state.turn, action: 'skill', skillId: 'heal' })).toMatchObject({
          ok: false,
          error: { code: 'PRECONDITION_FAILED', message: expect.stringMatching(/mana/) },
        });
        return;
      }
      const onCooldown = (me.cooldowns['heal'] ?? 0) > state.turn;
      const acted = await request(
        mage,
        'combat:action',
        onCooldown ? { sessionId: state.sessionId, turn: state.turn, action: 'defend' } : { sessionId: state.sessionId, turn: state.turn, action: 'skill', skillId: 'heal' },
      );
      if (!acted.ok) throw new Error(acted.error.message);
      fight.see(acted.data.result.state);
    }
    throw new Error('never ran out of mana');
  });

  it('resolves a turn that passes its deadline as defend', async () => {
    await using server = await startTestServer({ config: fastTurns });
    const idle = await server.connect('idle');
    await request(idle, 'zone:enter', { zoneId: 'tavern-district' });
    const started = await request(idle, 'combat:start', { opponents: [{ type: 'npc', id: 'training-dummy' }] });
    if (!started.ok) throw new Error(started.error.message);
    const result = await new Promise<Awaited<ReturnType<typeof next<'combat:result'>>>>((resolve) => {
      idle.on('combat:result', (each) => {
        if (each.actorId === 'idle') resolve(each);
      });
    });
    expect(result).toMatchObject({ action: 'defend', effects: [{ targetId: 'idle', status: 'defending' }] });
  });
});

describe.each(REDIS_BACKENDS)('combat across two nodes (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('lets two party members on different nodes fight one NPC together, and survives a reconnect', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, slowTurns) });
    await using b = await startTestServer({ config: clusterConfig(redis().url, slowTurns) });
    const tank = await a.connect('tank');
    let healer = await b.connect('healer');
    const party = await request(tank, 'party:create', {});
    if (!party.ok) throw new Error('party');
    await request(tank, 'party:invite', { userId: 'healer' });
    await request(healer, 'party:accept', { partyId: party.data.party.id });
    for (const socket of [tank, healer]) await request(socket, 'zone:enter', { zoneId: 'dark-forest' });

    const started = await request(tank, 'combat:start', { opponents: [{ type: 'npc', id: 'wolf' }] });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.data.state.combatants.filter((each) => each.team === 'a').map((each) => each.id).sort()).toEqual(['healer', 'tank']);
    const { sessionId } = started.data;

    // The healer drops and comes back on the other node: the fight goes on.
    healer.disconnect();
    healer = await a.connect('healer');
    const outcomes = new Set<string>();
    const ended = Promise.all([tank, healer].map((socket) => next(socket, 'combat:ended', 30_000)));
    const fight = track([tank, healer], started.data.state);
    const players = { tank, healer } as Record<string, ClientSocket>;
    while (fight.state.status === 'active') {
      await expect.poll(() => fight.state.status === 'ended' || fight.state.currentActorId! in players, { timeout: 10_000 }).toBe(true);
      const state = fight.state;
      if (state.status === 'ended') break;
      const wolf = state.combatants.find((each) => each.team === 'b' && each.alive)!;
      const acted = await request(players[state.currentActorId!]!, 'combat:action', { sessionId, turn: state.turn, action: 'attack', targetId: wolf.id });
      if (!acted.ok) throw new Error(acted.error.message);
      fight.see(acted.data.result.state);
    }
    for (const { outcome } of await ended) outcomes.add(outcome);
    expect(outcomes.size).toBe(1);
    expect(['victory', 'defeat']).toContain([...outcomes][0]);
  });
});
