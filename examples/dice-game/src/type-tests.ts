/**
 * Compile-time checks, built by `tsc` with the rest of the game and never run. Each
 * `@ts-expect-error` must meet an error on the line below it, or tsc fails on the unused
 * directive: so these lines prove that the contract refuses what it should.
 */
import { createClient } from '@tavern/client-sdk';
import { rooms, type CommandResultOf, type Result } from '@tavern/protocol';
import { defineFeature } from '@tavern/server';
import type { DiceContract } from './contract.js';
import { diceSlice, type DiceRolled } from './dice.slice.js';

const client = createClient<DiceContract>({ url: 'http://127.0.0.1:1', getToken: () => 'token', autoConnect: false });

// What is right compiles: the result of dice:roll is a DiceRolled, and so is dice:rolled.
export const typed: Promise<Result<DiceRolled>> = client.request('dice:roll', { zoneId: 'tavern-district', sides: 20 });
export const rolledValue = (result: CommandResultOf<DiceContract, 'dice:roll'>): number => result.value;
client.on('dice:rolled', (rolled: DiceRolled) => rolled.value);

// (1) A wrong dice:roll payload.
// @ts-expect-error sides is a number, not a string
void client.request('dice:roll', { zoneId: 'tavern-district', sides: 'd20' });
// @ts-expect-error zoneId is required
void client.request('dice:roll', { sides: 20 });

// (2) A wrong result type, on the client and in a handler.
// @ts-expect-error the result of dice:roll is a DiceRolled, not a chat message
export const wrongResult: Promise<Result<{ messageId: string }>> = client.request('dice:roll', { zoneId: 'tavern-district', sides: 20 });
export const wrongHandler = defineFeature({
  name: 'wrong-result',
  slice: diceSlice,
  create: () => ({
    handlers: {
      // @ts-expect-error the ack of dice:roll must be a DiceRolled
      'dice:roll': (_ctx, { sides }) => ({ sides, value: 'six' }),
    },
  }),
});

// (3) An event that no feature declares: a server handler for it, a client listener, an emit.
export const undeclaredHandler = defineFeature({
  name: 'undeclared-handler',
  slice: diceSlice,
  create: () => ({
    handlers: {
      'dice:roll': (_ctx, { zoneId, sides }) => ({ zoneId, userId: 'u', name: 'U', sides, value: 1, at: 0 }),
      // @ts-expect-error the dice slice declares no dice:cheat
      'dice:cheat': () => ({ value: 6 }),
    },
  }),
});
// @ts-expect-error no feature sends dice:exploded
client.on('dice:exploded', () => undefined);
export const undeclared = defineFeature({
  name: 'undeclared',
  slice: diceSlice,
  create: ({ emitTo }) => ({
    handlers: {
      'dice:roll': (_ctx, { zoneId, sides }) => {
        // @ts-expect-error the dice slice declares no dice:exploded
        emitTo(rooms.zone(zoneId), 'dice:exploded', { zoneId });
        return { zoneId, userId: 'u', name: 'U', sides, value: 1, at: 0 };
      },
    },
  }),
});
