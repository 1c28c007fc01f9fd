import { describe, expect, it } from 'vitest';
import { apply, CombatRuleError, createSession, newSeed, npcAction, replay, reviveSession, type Action, type Fighter, type Session } from './engine.js';

const hero: Fighter = { id: 'hero', kind: 'player', name: 'Hero', team: 'a', hp: 100, mana: 50, attack: 12, speed: 5 };
const wolf: Fighter = { id: 'npc.wolf.1', kind: 'npc', name: 'Wolf', team: 'b', hp: 45, mana: 0, attack: 8, speed: 9 };

/** Plays a fight: the hero's moves from `choose`, NPC turns by the engine. */
function fight(seed: string, choose: (session: Session) => Action): { session: Session; playerActions: Action[] } {
  const session = createSession('s', 'dark-forest', [hero, wolf], seed, 0, 1_000);
  const playerActions: Action[] = [];
  while (session.state.status === 'active') {
    const current = session.state.combatants.find((each) => each.id === session.state.currentActorId)!;
    if (current.kind === 'npc') apply(session, npcAction(session), 0, 1_000);
    else {
      const action = choose(session);
      playerActions.push(action);
      apply(session, action, 0, 1_000);
    }
  }
  return { session, playerActions };
}

const attackWolf = (): Action => ({ actorId: 'hero', action: 'attack', targetId: 'npc.wolf.1' });

describe('combat engine', () => {
  it('fights to victory or defeat', () => {
    for (const seed of ['1', '2', '3', '42', newSeed()]) {
      const { session } = fight(seed, attackWolf);
      expect(['victory', 'defeat']).toContain(session.state.outcome);
      expect(session.state.status).toBe('ended');
    }
  });

  it('replays the same outcome from the same seed and actions', () => {
    const first = fight('777', (session) =>
      session.state.turn % 4 === 0 ? { actorId: 'hero', action: 'skill', skillId: 'fireball', targetId: 'npc.wolf.1' } : attackWolf(),
    );
    const replayed = createSession('s', 'dark-forest', [hero, wolf], '777', 0, 1_000);
    const queue = [...first.playerActions];
    while (replayed.state.status === 'active') {
      const current = replayed.state.combatants.find((each) => each.id === replayed.state.currentActorId)!;
      apply(replayed, current.kind === 'npc' ? npcAction(replayed) : queue.shift()!, 0, 1_000);
    }
    expect(replayed.state).toEqual(first.session.state);
    expect(fight('778', attackWolf).session.state).not.toEqual(first.session.state);
    // The stored session alone (its secret seed, fighters and log) replays the fight.
    const stored = JSON.parse(JSON.stringify(first.session)) as Session;
    expect(replay(stored, 1_000).state).toEqual(first.session.state);
  });

  it('keeps the seed out of the public state, and equal public states roll differently (combat rolls are predictable)', () => {
    const tough = [{ ...hero, hp: 100_000 }, { ...wolf, hp: 100_000, speed: -100 }];
    const a = createSession('s', 'dark-forest', tough, newSeed(), 0, 1_000);
    const b = createSession('s', 'dark-forest', tough, newSeed(), 0, 1_000);
    expect(a.state).toEqual(b.state);
    expect(JSON.stringify(a.state)).not.toMatch(/seed/);
    expect(a.seed).toMatch(/^[0-9a-f]{64}$/);
    // Twenty rounds each from the same public state: the damage sequences differ.
    const damages = (session: Session) =>
      Array.from({ length: 40 }, () => {
        const current = session.state.combatants.find((each) => each.id === session.state.currentActorId)!;
        const action: Action = current.kind === 'npc' ? npcAction(session) : attackWolf();
        return apply(session, action, 0, 1_000)[0]!.damage;
      });
    expect(damages(a)).not.toEqual(damages(b));
  });

  it('gives a session stored with a public seed a secret one, and it plays on', () => {
    const current = createSession('s', 'z', [hero, { ...wolf, speed: -100 }], newSeed(), 0, 1_000);
    const { seed: _seed, fighters: _fighters, ...legacy } = current;
    const revived = reviveSession(JSON.stringify({ ...legacy, rng: 123_456_789, state: { ...legacy.state, seed: 42 } }));
    expect(revived.seed).toMatch(/^[0-9a-f]{64}$/);
    expect(revived.state).not.toHaveProperty('seed');
    expect(apply(revived, attackWolf(), 0, 1_000)[0]!.damage).toBeGreaterThan(0);
    expect(reviveSession(JSON.stringify(current))).toEqual(current);
  });

  it('refuses out of turn, dead or friendly targets, missing mana and cooldowns', () => {
    const session = createSession('s', 'z', [hero, { ...wolf, speed: -100 }], '5', 0, 1_000);
    expect(session.state.currentActorId).toBe('hero');
    expect(() => apply(session, { actorId: 'npc.wolf.1', action: 'attack', targetId: 'hero' }, 0, 1_000)).toThrow(CombatRuleError);
    expect(() => apply(session, { actorId: 'hero', action: 'attack', targetId: 'hero' }, 0, 1_000)).toThrow(/your side/);
    apply(session, { actorId: 'hero', action: 'skill', skillId: 'fireball', targetId: 'npc.wolf.1' }, 0, 1_000);
    apply(session, npcAction(session), 0, 1_000);
    expect(() => apply(session, { actorId: 'hero', action: 'skill', skillId: 'fireball', targetId: 'npc.wolf.1' }, 0, 1_000)).toThrow(/cooldown/);
    const pack = createSession('d', 'z', [hero, { ...wolf, speed: -100 }, { ...wolf, id: 'npc.wolf.2', speed: -100 }], '5', 0, 1_000);
    const fallen = pack.state.combatants.find((each) => each.id === 'npc.wolf.2')!;
    fallen.hp = 0;
    fallen.alive = false;
    expect(() => apply(pack, { actorId: 'hero', action: 'attack', targetId: 'npc.wolf.2' }, 0, 1_000)).toThrow(/down/);
    const poor = createSession('p', 'z', [{ ...hero, mana: 5 }, { ...wolf, speed: -100 }], '5', 0, 1_000);
    expect(() => apply(poor, { actorId: 'hero', action: 'skill', skillId: 'fireball', targetId: 'npc.wolf.1' }, 0, 1_000)).toThrow(/mana/);
    const won = fight('9', attackWolf).session;
    if (won.state.outcome === 'victory') {
      expect(() => apply(won, attackWolf(), 0, 1_000)).toThrow(/over/);
    }
  });
});
