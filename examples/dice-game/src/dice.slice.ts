/**
 * The dice slice of the protocol: what a client may send (`dice:roll`), what it gets back,
 * and what everyone in the zone is told (`dice:rolled`). The server validates every roll
 * against these schemas and rate-limits it with the bucket declared here; the client, the
 * AsyncAPI document and the protocol reference read their types and prose from here too.
 */
import { command, defineSlice, event, Id, Timestamp } from '@tavern/protocol';
import { z } from 'zod';

export const DiceRollPayload = z.object({
  /** A zone the roller is in (`zone:enter` first). */
  zoneId: Id,
  /** A d2 to a d100. */
  sides: z.number().int().min(2).max(100),
});
export type DiceRollPayload = z.infer<typeof DiceRollPayload>;

export const DiceRolled = z.object({
  zoneId: Id,
  userId: Id,
  name: z.string(),
  sides: z.number().int(),
  /** 1 to `sides`, rolled by the server. */
  value: z.number().int().positive(),
  at: Timestamp,
});
export type DiceRolled = z.infer<typeof DiceRolled>;

export const diceSlice = defineSlice({
  id: 'dice',
  title: 'Dice',
  description: 'Dice the server rolls, seen by everyone in the zone.',
  commands: {
    'dice:roll': command(DiceRollPayload, DiceRolled, {
      description: 'Rolls a die with `sides` faces in a zone you are in (else `FORBIDDEN`); everyone there gets `dice:rolled`.',
      // Two rolls a second, three at once: a flood is answered RATE_LIMITED.
      rateLimit: { ratePerSec: 2, burst: 3 },
    }),
  },
  serverEvents: {
    'dice:rolled': event(DiceRolled, 'Someone in your zone rolled a die (you too: the roller gets it as well as the ack).'),
  },
});
