/** defineRoom refuses, at compile time, message handlers that do not fit the room's slice and state. */
import { command, defineSlice, Id, signal } from '@tavern/protocol';
import { expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import { defineRoom } from './game-rooms.define.js';

const slice = defineSlice({
  id: 'counter',
  title: 'Counter',
  description: 'A counter.',
  commands: { 'counter:add': command(z.object({ roomId: Id, by: z.number().int() }), z.object({ count: z.number() }), { description: 'Adds.' }) },
  signals: { 'counter:poke': signal(z.object({ roomId: Id }), { description: 'Pokes.' }) },
});
const state = z.object({ count: z.number(), secret: z.string() });
const counter = { type: 'counter', state, slice, onCreate: () => ({ count: 0, secret: 's' }) };

test('handlers are typed by the slice and the state', () => {
  defineRoom({
    ...counter,
    onMessage: {
      'counter:add': (room, player, payload) => {
        expectTypeOf(payload).toEqualTypeOf<{ roomId: string; by: number }>();
        expectTypeOf(player.userId).toBeString();
        return { count: (room.state.count += payload.by) };
      },
      'counter:poke': () => undefined,
    },
    view: (current) => ({ count: current.count }),
  });

  defineRoom({
    ...counter,
    // @ts-expect-error -- counter:poke has no handler
    onMessage: { 'counter:add': (room) => ({ count: room.state.count }) },
  });

  defineRoom({
    ...counter,
    onMessage: {
      // @ts-expect-error -- the ack's data is { count: number }
      'counter:add': () => ({ count: 'many' }),
      'counter:poke': () => undefined,
    },
  });

  defineRoom({
    type: 'counter',
    state,
    // @ts-expect-error -- onCreate must make a state of the schema's type
    onCreate: () => ({ count: 'zero' }),
    onMessage: {},
  });
});
