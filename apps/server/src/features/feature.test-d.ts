/** The feature API refuses at compile time what composition would refuse at start-up. */
import { command, defineSlice, event, signal } from '@tavern/protocol';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineFeature } from '../api.js';

const slice = defineSlice({
  id: 'dice',
  title: 'Dice',
  description: 'Dice.',
  commands: { 'dice:roll': command(z.object({ sides: z.number().int() }), z.object({ value: z.number().int() }), { description: 'Rolls.' }) },
  signals: { 'dice:shake': signal(z.object({ hard: z.boolean() }), { description: 'Shakes.' }) },
  serverEvents: { 'dice:rolled': event(z.object({ value: z.number().int() }), 'Rolled.') },
});

describe('defineFeature', () => {
  it('types each handler from the slice and emitTo from its server events', () => {
    defineFeature({
      name: 'dice',
      slice,
      create: ({ emitTo }) => ({
        handlers: {
          'dice:roll': (_ctx, payload) => {
            expectTypeOf(payload).toEqualTypeOf<{ sides: number }>();
            emitTo('table:t1', 'dice:rolled', { value: 3 });
            // @ts-expect-error dice:rolled carries a number
            emitTo('table:t1', 'dice:rolled', { value: 'three' });
            // @ts-expect-error chat:message is not an event of this feature's slices
            emitTo('table:t1', 'chat:message', { value: 3 });
            return { value: Math.min(payload.sides, 6) };
          },
          'dice:shake': { run: (_ctx, { hard }) => void hard, onRefused: () => undefined },
        },
      }),
    });
  });

  it('refuses a wrong result, a missing handler and a handler for an undeclared event', () => {
    defineFeature({
      name: 'dice',
      slice,
      create: () => ({
        handlers: {
          // @ts-expect-error the ack of dice:roll is { value: number }
          'dice:roll': () => ({ value: 'six' }),
          'dice:shake': () => undefined,
        },
      }),
    });
    defineFeature({
      name: 'dice',
      slice,
      // @ts-expect-error dice:shake has no handler
      create: () => ({ handlers: { 'dice:roll': () => ({ value: 1 }) } }),
    });
    defineFeature({
      name: 'dice',
      slice,
      create: () => ({
        handlers: {
          'dice:roll': () => ({ value: 1 }),
          'dice:shake': () => undefined,
          // @ts-expect-error dice:cheat is not declared by the slice
          'dice:cheat': () => ({ value: 6 }),
        },
      }),
    });
  });
});
