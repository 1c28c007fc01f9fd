import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { builtInSlices, command, defineContract, defineSlice, event } from './index.js';
import type {
  ClientPayloadOf,
  CommandNameOf,
  CommandResultOf,
  ServerPayloadOf,
  ClientToServerEvents,
  CommandName,
  CommandResult,
  Message,
  Result,
  ServerToClientEvents,
  SignalName,
} from './index.js';

describe('event map types', () => {
  it('types a command with its payload and a Result ack', () => {
    type Send = ClientToServerEvents['chat:send'];
    expectTypeOf<Parameters<Send>[0]>().toEqualTypeOf<{
      channelId: string;
      content: string;
      contentType?: 'text' | 'emoji' | 'gif' | undefined;
      clientMsgId: string;
    }>();
    expectTypeOf<Parameters<Parameters<Send>[1]>[0]>().toEqualTypeOf<Result<{ message: Message }>>();
  });

  it('types signals without an ack', () => {
    expectTypeOf<SignalName>().toEqualTypeOf<'chat:typing' | 'character:move'>();
    expectTypeOf<Parameters<ClientToServerEvents['character:move']>>().toEqualTypeOf<[{ x: number; y: number; seq: number }]>();
  });

  it('refuses a wrong payload and a wrong ack type', () => {
    const send: ClientToServerEvents['chat:send'] = () => undefined;
    // @ts-expect-error content must be a string
    send({ channelId: 'room:a', content: 1, clientMsgId: 'x' }, () => undefined);
    // @ts-expect-error clientMsgId is required
    send({ channelId: 'room:a', content: 'hi' }, () => undefined);
    // @ts-expect-error the ack of chat:send carries a message, not a ticket
    const wrongAck: Parameters<typeof send>[1] = (result: Result<{ ticketId: string }>) => result;
    void wrongAck;
  });

  it('types server events', () => {
    expectTypeOf<Parameters<ServerToClientEvents['chat:message']>[0]>().toEqualTypeOf<Message>();
    expectTypeOf<CommandResult<'zone:enter'>['you']>().toEqualTypeOf<{ x: number; y: number }>();
    expectTypeOf<'chat:typing'>().not.toExtend<CommandName>();
  });
});

describe('contract types', () => {
  const Roll = z.object({ sides: z.number().int() });
  const Rolled = z.object({ value: z.number().int() });
  const diceSlice = defineSlice({
    id: 'dice',
    title: 'Dice',
    description: 'Dice.',
    commands: { 'dice:roll': command(Roll, Rolled, { description: 'Rolls.' }) },
    serverEvents: { 'dice:rolled': event(Rolled, 'Rolled.') },
  });
  const contract = defineContract(...builtInSlices, diceSlice);
  type Dice = typeof contract;

  it('keeps the slices in the contract value', () => {
    expectTypeOf(contract.slices).toExtend<readonly unknown[]>();
  });

  it('types custom events beside the built-in ones', () => {
    expectTypeOf<CommandResultOf<Dice, 'dice:roll'>>().toEqualTypeOf<{ value: number }>();
    expectTypeOf<ClientPayloadOf<Dice, 'dice:roll'>>().toEqualTypeOf<{ sides: number }>();
    expectTypeOf<ServerPayloadOf<Dice, 'dice:rolled'>>().toEqualTypeOf<{ value: number }>();
    expectTypeOf<CommandResultOf<Dice, 'zone:enter'>['you']>().toEqualTypeOf<{ x: number; y: number }>();
    expectTypeOf<'dice:roll'>().toExtend<CommandNameOf<Dice>>();
    expectTypeOf<'dice:roll'>().not.toExtend<CommandName>();
    expectTypeOf<'dice:throw'>().not.toExtend<CommandNameOf<Dice>>();
  });
});
