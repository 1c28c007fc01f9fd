import { describe, expect, it } from 'vitest';
import { DEFAULT_ZONES } from '../src/features/world/zones.js';
import { next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

const combat = { turnMs: 60_000, sweepMs: 50 };
const arena = { ...DEFAULT_ZONES.find((zone) => zone.id === 'dark-forest')!, id: 'arena', name: 'Arena', pvp: true };

/** The fights a socket was told about. */
function fightsSeen(socket: ClientSocket): Set<string> {
  const seen = new Set<string>();
  socket.on('combat:result', (result) => seen.add(result.sessionId));
  socket.on('combat:turn', (turn) => seen.add(turn.sessionId));
  socket.on('combat:ended', (ended) => seen.add(ended.sessionId));
  return seen;
}

describe('anti-cheat: PvP needs a PvP zone', () => {
  it('a player cannot pull another into a fight outside a PvP zone (combat:start pulls another player in)', async () => {
    await using server = await startTestServer({ config: { features: { combat } } });
    const attacker = await server.connect('attacker');
    const victim = await server.connect('victim');
    for (const socket of [attacker, victim]) await request(socket, 'zone:enter', { zoneId: 'dark-forest' });
    const seenByVictim = fightsSeen(victim);

    for (const opponents of [[{ type: 'player', characterId: 'victim' }], [{ type: 'npc', id: 'bandit' }, { type: 'player', characterId: 'victim' }]] as const) {
      expect(await request(attacker, 'combat:start', { opponents: [...opponents] })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    // Nothing changed: the victim is in no fight and can start one of their own; the attacker too.
    const own = await request(victim, 'combat:start', { opponents: [{ type: 'npc', id: 'wolf' }] });
    if (!own.ok) throw new Error(own.error.message);
    expect(own.data.state.combatants.map((each) => each.id)).not.toContain('attacker');
    expect((await request(attacker, 'combat:start', { opponents: [{ type: 'npc', id: 'bandit' }] })).ok).toBe(true);
    expect([...seenByVictim].every((sessionId) => sessionId === own.data.sessionId)).toBe(true);
  });

  it('in a zone with pvp: true the fight starts as before', async () => {
    await using server = await startTestServer({ config: { features: { combat, world: { zones: [...DEFAULT_ZONES, arena] } } } });
    const attacker = await server.connect('attacker');
    const victim = await server.connect('victim');
    await request(attacker, 'zone:enter', { zoneId: 'arena' });
    const entered = await request(victim, 'zone:enter', { zoneId: 'arena' });
    expect(entered).toMatchObject({ ok: true, data: { zone: { id: 'arena', pvp: true } } });
    const told = next(victim, 'combat:turn');
    const started = await request(attacker, 'combat:start', { opponents: [{ type: 'player', characterId: 'victim' }] });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.data.state.combatants.map(({ id, team }) => ({ id, team }))).toEqual([
      { id: 'attacker', team: 'a' },
      { id: 'victim', team: 'b' },
    ]);
    expect((await told).sessionId).toBe(started.data.sessionId);
  });
});
