/** Server-authoritative, turn-based combat. */
import { z } from 'zod';
import { Id, Timestamp } from './common.js';
import { command, defineSlice, event } from './define.js';

export const Opponent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('npc'), id: Id }),
  z.object({ type: z.literal('player'), characterId: Id }),
]);
export type Opponent = z.infer<typeof Opponent>;

export const CombatActionKind = z.enum(['attack', 'defend', 'skill', 'item', 'flee']);
export type CombatActionKind = z.infer<typeof CombatActionKind>;

export const Combatant = z.object({
  /** A characterId for players, `npc:<n>` style ids for NPCs. */
  id: Id,
  kind: z.enum(['player', 'npc']),
  name: z.string(),
  /** Which side the combatant fights on. */
  team: z.enum(['a', 'b']),
  hp: z.number(),
  maxHp: z.number(),
  mana: z.number(),
  maxMana: z.number(),
  alive: z.boolean(),
  defending: z.boolean(),
  fled: z.boolean(),
  /** skillId -> the turn number from which it may be used again */
  cooldowns: z.record(z.string(), z.number().int()),
});
export type Combatant = z.infer<typeof Combatant>;

export const CombatOutcome = z.enum(['victory', 'defeat', 'fled', 'draw']);
export type CombatOutcome = z.infer<typeof CombatOutcome>;

export const CombatState = z.object({
  sessionId: Id,
  zoneId: Id,
  status: z.enum(['active', 'ended']),
  /** The number of the turn being played, from 1. */
  turn: z.number().int().positive(),
  /** Initiative order: combatant ids. */
  order: z.array(Id),
  currentActorId: Id.nullable(),
  deadline: Timestamp.nullable(),
  combatants: z.array(Combatant),
  /**
   * Deprecated, never sent: the seed of the dice stays in the server's session (a client that
   * knew it could predict every roll). Kept as an optional field so that code reading it still
   * compiles and parses; it is always absent.
   */
  seed: z.number().int().optional(),
  outcome: CombatOutcome.optional(),
});
export type CombatState = z.infer<typeof CombatState>;

export const CombatStartPayload = z.object({ opponents: z.array(Opponent).min(1).max(8) });
export const CombatStartResult = z.object({ sessionId: Id, state: CombatState });

export const CombatActionPayload = z.object({
  sessionId: Id,
  /** The turn the client believes it is acting in; a stale turn is refused. */
  turn: z.number().int().positive(),
  action: CombatActionKind,
  targetId: Id.optional(),
  skillId: Id.optional(),
  itemId: Id.optional(),
});

export const CombatEffect = z.object({
  targetId: Id,
  damage: z.number().optional(),
  heal: z.number().optional(),
  status: z.string().optional(),
});
export type CombatEffect = z.infer<typeof CombatEffect>;

export const CombatResult = z.object({
  sessionId: Id,
  turn: z.number().int().positive(),
  actorId: Id,
  action: CombatActionKind,
  effects: z.array(CombatEffect),
  state: CombatState,
});
export type CombatResult = z.infer<typeof CombatResult>;
export const CombatActionResult = z.object({ result: CombatResult });

export const CombatTurn = z.object({ sessionId: Id, turn: z.number().int().positive(), actorId: Id, deadline: Timestamp });
export const CombatEnded = z.object({ sessionId: Id, outcome: CombatOutcome, winners: z.array(Id) });

export const combatCommands = {
  'combat:start': command(CombatStartPayload, CombatStartResult, { description: 'Starts a turn-based combat against NPCs or players in the same zone; against players only in a zone with `pvp: true`, else `FORBIDDEN`.' }),
  'combat:action': command(CombatActionPayload, CombatActionResult, { description: 'Acts on your turn; out of turn, bad targets, no mana or cooldown give `PRECONDITION_FAILED`.', rateLimit: { ratePerSec: 2, burst: 4 } }),
};

export const combatServerEvents = {
  'combat:turn': event(CombatTurn, "It is an actor's turn, until the deadline (then resolved as `defend`)."),
  'combat:result': event(CombatResult, 'The outcome of one action and the new combat state.'),
  'combat:ended': event(CombatEnded, 'The combat is over.'),
};

export const combatSlice = defineSlice({
  id: 'combat',
  title: 'Combat',
  description: 'Server-authoritative, turn-based combat.',
  commands: combatCommands,
  serverEvents: combatServerEvents,
});
