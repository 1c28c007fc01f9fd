/**
 * A small deterministic turn-based combat engine. Everything random comes from a seeded
 * generator whose seed and counter live in the session, so a fight replays exactly from its
 * seed and its list of actions. The seed is secret (never in the public state): the n-th roll
 * is HMAC-SHA256(seed, n), so what a client sees of the rolls does not tell it the next one.
 * Pure: no timers, no I/O.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { CombatActionKind, CombatEffect, CombatOutcome, CombatState, Combatant } from '@tavern/protocol';

export interface Fighter {
  id: string;
  kind: 'player' | 'npc';
  name: string;
  team: 'a' | 'b';
  hp: number;
  mana: number;
  attack: number;
  speed: number;
}

export interface Action {
  actorId: string;
  action: CombatActionKind;
  targetId?: string | undefined;
  skillId?: string | undefined;
  itemId?: string | undefined;
}

/** The whole session: the public state plus what only the server needs. */
export interface Session {
  state: CombatState;
  /** characterId -> userId of the players in the fight. */
  users: Record<string, string>;
  /** The secret seed of the session's dice (hex); server-side only, it replays the fight with `log`. */
  seed: string;
  /** How many rolls have been drawn. */
  rng: number;
  /** The fighters as they entered, so the session alone replays the fight. */
  fighters: Fighter[];
  attack: Record<string, number>;
  /** Items left per combatant. */
  potions: Record<string, number>;
  log: Action[];
}

interface Skill {
  mana: number;
  cooldownTurns: number;
  damage?: [number, number];
  heal?: [number, number];
}

/** A map, not an object: a client-chosen `skillId` such as `constructor` finds nothing. */
export const SKILLS: ReadonlyMap<string, Skill> = new Map([
  ['fireball', { mana: 15, cooldownTurns: 3, damage: [18, 28] }],
  ['heal', { mana: 10, cooldownTurns: 2, heal: [15, 25] }],
]);
const MAX_TURNS = 200;
const FLEE_CHANCE = 0.5;

export class CombatRuleError extends Error {}

/** A fresh secret seed: 256 random bits, so it cannot be searched for from the rolls. */
export function newSeed(): string {
  return randomBytes(32).toString('hex');
}

/**
 * A session as stored. One stored before the seed went private (a public `state.seed` and no
 * secret one) gets a fresh secret seed, so it plays on without predictable dice; it cannot be
 * replayed (it never kept its fighters).
 */
export function reviveSession(json: string): Session {
  const session = JSON.parse(json) as Session & { state: { seed?: unknown } };
  if (typeof session.seed !== 'string') {
    session.seed = newSeed();
    session.fighters ??= [];
  }
  delete session.state.seed;
  return session;
}

/** The session's next value in 0..1: HMAC-SHA256(seed, counter), a keyed, unpredictable stream. */
function next(session: Session): number {
  const digest = createHmac('sha256', session.seed).update(String(session.rng)).digest();
  session.rng += 1;
  return digest.readUInt32BE(0) / 4294967296;
}

function roll(session: Session, min: number, max: number): number {
  return min + Math.floor(next(session) * (max - min + 1));
}

export function createSession(sessionId: string, zoneId: string, fighters: readonly Fighter[], seed: string, now: number, turnMs: number): Session {
  const session: Session = {
    users: {},
    seed,
    rng: 0,
    fighters: fighters.map((fighter) => ({ ...fighter })),
    attack: Object.fromEntries(fighters.map((fighter) => [fighter.id, fighter.attack])),
    potions: Object.fromEntries(fighters.map((fighter) => [fighter.id, 1])),
    log: [],
    state: {
      sessionId,
      zoneId,
      status: 'active',
      turn: 1,
      order: [],
      currentActorId: null,
      deadline: null,
      combatants: fighters.map(
        (fighter): Combatant => ({
          id: fighter.id,
          kind: fighter.kind,
          name: fighter.name,
          team: fighter.team,
          hp: fighter.hp,
          maxHp: fighter.hp,
          mana: fighter.mana,
          maxMana: fighter.mana,
          alive: true,
          defending: false,
          fled: false,
          cooldowns: {},
        }),
      ),
    },
  };
  const initiative = fighters.map((fighter) => ({ id: fighter.id, score: fighter.speed + roll(session, 0, 10) }));
  initiative.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1));
  session.state.order = initiative.map((entry) => entry.id);
  session.state.currentActorId = session.state.order[0] ?? null;
  session.state.deadline = now + turnMs;
  return session;
}

const combatant = (session: Session, id: string | undefined) => session.state.combatants.find((each) => each.id === id);
const active = (each: Combatant) => each.alive && !each.fled;

function outcomeOf(session: Session): CombatOutcome | null {
  const standing = (team: 'a' | 'b') => session.state.combatants.filter((each) => each.team === team && active(each));
  const a = standing('a');
  const b = standing('b');
  if (b.length === 0 && a.length > 0) return 'victory';
  if (a.length === 0) {
    const anyFled = session.state.combatants.some((each) => each.team === 'a' && each.fled);
    return anyFled && session.state.combatants.some((each) => each.team === 'a' && each.fled && each.alive) ? 'fled' : 'defeat';
  }
  if (session.state.turn > MAX_TURNS) return 'draw';
  return null;
}

/** Checks an action against the rules; throws `CombatRuleError` with the reason. */
export function validate(session: Session, action: Action): void {
  const { state } = session;
  if (state.status !== 'active') throw new CombatRuleError('the fight is over');
  if (state.currentActorId !== action.actorId) throw new CombatRuleError('not your turn');
  const actor = combatant(session, action.actorId);
  if (!actor || !active(actor)) throw new CombatRuleError('you cannot act');
  if (action.action === 'attack' || (action.action === 'skill' && action.skillId === 'fireball')) {
    const target = combatant(session, action.targetId);
    if (!target) throw new CombatRuleError('no such target in this fight');
    if (!active(target)) throw new CombatRuleError('the target is down');
    if (target.team === actor.team) throw new CombatRuleError('that target is on your side');
  }
  if (action.action === 'skill') {
    const skill = SKILLS.get(action.skillId ?? '');
    if (!skill) throw new CombatRuleError('unknown skill');
    if (actor.mana < skill.mana) throw new CombatRuleError('not enough mana');
    if ((actor.cooldowns[action.skillId ?? ''] ?? 0) > state.turn) throw new CombatRuleError('skill on cooldown');
    if (skill.heal) {
      const target = combatant(session, action.targetId ?? actor.id);
      if (!target || !active(target) || target.team !== actor.team) throw new CombatRuleError('heal an ally who is standing');
    }
  }
  if (action.action === 'item' && (session.potions[actor.id] ?? 0) <= 0) throw new CombatRuleError('no items left');
}

/** Applies a validated action and advances to the next actor. Returns the effects. */
export function apply(session: Session, action: Action, now: number, turnMs: number): CombatEffect[] {
  validate(session, action);
  const { state } = session;
  const actor = combatant(session, action.actorId)!;
  const effects: CombatEffect[] = [];
  actor.defending = false;
  const hit = (target: Combatant, min: number, max: number) => {
    let damage = roll(session, min, max);
    if (target.defending) damage = Math.floor(damage / 2);
    target.hp = Math.max(0, target.hp - damage);
    if (target.hp === 0) target.alive = false;
    effects.push({ targetId: target.id, damage, ...(target.hp === 0 && { status: 'down' }) });
  };
  switch (action.action) {
    case 'attack': {
      const base = session.attack[actor.id] ?? 10;
      hit(combatant(session, action.targetId)!, base, base + 5);
      break;
    }
    case 'defend':
      actor.defending = true;
      effects.push({ targetId: actor.id, status: 'defending' });
      break;
    case 'skill': {
      const skill = SKILLS.get(action.skillId!)!;
      actor.mana -= skill.mana;
      actor.cooldowns[action.skillId!] = state.turn + skill.cooldownTurns;
      if (skill.damage) hit(combatant(session, action.targetId)!, ...skill.damage);
      if (skill.heal) {
        const target = combatant(session, action.targetId ?? actor.id)!;
        const heal = Math.min(target.maxHp - target.hp, roll(session, ...skill.heal));
        target.hp += heal;
        effects.push({ targetId: target.id, heal });
      }
      break;
    }
    case 'item': {
      session.potions[actor.id] = (session.potions[actor.id] ?? 0) - 1;
      const heal = Math.min(actor.maxHp - actor.hp, 25);
      actor.hp += heal;
      effects.push({ targetId: actor.id, heal });
      break;
    }
    case 'flee': {
      if (next(session) < FLEE_CHANCE) {
        actor.fled = true;
        effects.push({ targetId: actor.id, status: 'fled' });
      } else effects.push({ targetId: actor.id, status: 'flee failed' });
      break;
    }
  }
  session.log.push(action);
  state.turn += 1;
  const outcome = outcomeOf(session);
  if (outcome) {
    state.status = 'ended';
    state.outcome = outcome;
    state.currentActorId = null;
    state.deadline = null;
    return effects;
  }
  const from = state.order.indexOf(actor.id);
  for (let step = 1; step <= state.order.length; step++) {
    const candidate = combatant(session, state.order[(from + step) % state.order.length]);
    if (candidate && active(candidate)) {
      state.currentActorId = candidate.id;
      break;
    }
  }
  state.deadline = now + turnMs;
  return effects;
}

/** What an NPC does on its turn: attack a standing enemy chosen by the session's dice. */
export function npcAction(session: Session): Action {
  const actorId = session.state.currentActorId!;
  const actor = combatant(session, actorId)!;
  const targets = session.state.combatants.filter((each) => each.team !== actor.team && active(each));
  const target = targets[roll(session, 0, targets.length - 1)];
  return target ? { actorId, action: 'attack', targetId: target.id } : { actorId, action: 'defend' };
}

export function winners(session: Session): string[] {
  const { outcome } = session.state;
  if (outcome !== 'victory' && outcome !== 'defeat') return [];
  const team = outcome === 'victory' ? 'a' : 'b';
  return session.state.combatants.filter((each) => each.team === team && active(each)).map((each) => each.id);
}

/**
 * Plays a stored fight again from its seed and its log (for admins and tests): the same
 * fighters, then every logged player action, with NPC turns chosen by the engine as they were.
 */
export function replay(session: Session, turnMs: number): Session {
  const { sessionId, zoneId } = session.state;
  const again = createSession(sessionId, zoneId, session.fighters, session.seed, 0, turnMs);
  again.users = { ...session.users };
  const queue = session.log.filter((action) => combatant(session, action.actorId)?.kind === 'player');
  while (again.state.status === 'active') {
    const current = combatant(again, again.state.currentActorId ?? undefined);
    const action = current?.kind === 'npc' ? npcAction(again) : queue.shift();
    if (!action) break;
    apply(again, action, 0, turnMs);
  }
  return again;
}
