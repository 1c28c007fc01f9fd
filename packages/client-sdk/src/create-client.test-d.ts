import { describe, expectTypeOf, it } from 'vitest';
import type { Message, Result } from '@tavern/protocol';
import { createClient } from './index.js';

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
