import { describe, expectTypeOf, it } from 'vitest';
import { builtInSlices, command, defineContract, defineSlice, event, type Message, type Result } from '@tavern/protocol';
import { z } from 'zod';
import { createClient, SessionTracker } from './index.js';

describe('client types', () => {
  const client = createClient({ url: 'http://127.0.0.1:1', getToken: () => 't', autoConnect: false });

  it('types a request and its Result', () => {
    const sent = client.request('chat:send', { channelId: 'global', content: 'hi', clientMsgId: 'm1' });
    expectTypeOf(sent).toEqualTypeOf<Promise<Result<{ message: Message }>>>();
  });

  it('refuses wrong payloads, wrong events and wrong result types', () => {
    // @ts-expect-error content must be a string
    void client.request('chat:send', { channelId: 'global', content: 1, clientMsgId: 'm1' });
    // @ts-expect-error clientMsgId is required
    void client.request('chat:send', { channelId: 'global', content: 'hi' });
    // @ts-expect-error not a client event
    void client.request('chat:nope', {});
    // @ts-expect-error a signal has no ack, so it is not a request
    void client.request('chat:typing', { channelId: 'global', isTyping: true });
    // @ts-expect-error the ack of chat:send carries a message, not a ticket
    const wrong: Promise<Result<{ ticketId: string }>> = client.request('chat:send', { channelId: 'global', content: 'hi', clientMsgId: 'm1' });
    void wrong;
  });

  it('types server events', () => {
    client.on('chat:message', (message) => expectTypeOf(message).toEqualTypeOf<Message>());
    // @ts-expect-error the listener of chat:message gets a Message
    client.on('chat:message', (message: { ticketId: string }) => message);
  });
});

describe('client types for a custom contract', () => {
  const Roll = z.object({ sides: z.number().int().min(2) });
  const Rolled = z.object({ sides: z.number().int(), value: z.number().int() });
  const diceSlice = defineSlice({
    id: 'dice',
    title: 'Dice',
    description: 'Dice.',
    commands: { 'dice:roll': command(Roll, Rolled, { description: 'Rolls.' }) },
    serverEvents: { 'dice:rolled': event(Rolled, 'Rolled.') },
  });
  const contract = defineContract(...builtInSlices, diceSlice);

  it('types custom requests and events from a contract value or a type argument', () => {
    const byValue = createClient({ url: 'http://127.0.0.1:1', getToken: () => 't', autoConnect: false, contract });
    expectTypeOf(byValue.request('dice:roll', { sides: 20 })).toEqualTypeOf<Promise<Result<{ sides: number; value: number }>>>();
    byValue.on('dice:rolled', (rolled) => expectTypeOf(rolled).toEqualTypeOf<{ sides: number; value: number }>());
    expectTypeOf(byValue.request('chat:send', { channelId: 'global', content: 'hi', clientMsgId: 'm1' })).toEqualTypeOf<Promise<Result<{ message: Message }>>>();

    const byType = createClient<typeof contract>({ url: 'http://127.0.0.1:1', getToken: () => 't', autoConnect: false });
    // @ts-expect-error sides must be a number
    void byType.request('dice:roll', { sides: 'twenty' });
    // @ts-expect-error the result of dice:roll has no ticketId
    const wrong: Promise<Result<{ ticketId: string }>> = byType.request('dice:roll', { sides: 6 });
    void wrong;
    // @ts-expect-error the built-in client does not know dice:roll
    void createClient({ url: 'http://127.0.0.1:1', getToken: () => 't', autoConnect: false }).request('dice:roll', { sides: 6 });
  });

  it('hands a custom client to the helpers typed for the built-in contract', () => {
    const client = createClient({ url: 'http://127.0.0.1:1', getToken: () => 't', autoConnect: false, contract });
    expectTypeOf(new SessionTracker(client)).toEqualTypeOf<SessionTracker>();
  });
});
