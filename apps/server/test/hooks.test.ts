/**
 * The studio's extension points: connect (refuse or enrich a user), message (refuse or rewrite
 * a chat message before it is stored), command (audit), in process and over HTTP against a
 * real local HTTP server, including a hook that never answers under both fail modes.
 */
import type { Message } from '@tavern/protocol';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CommandRecord, HttpHook, TavernHooks } from '../src/index.js';
import { request, startTestServer, type ClientSocket } from './support/start-test-server.js';

/** A local HTTP hook server: `answer` decides per path; the requests it got are kept. */
async function startHookServer(answer: (path: string, body: Record<string, unknown>) => unknown) {
  const received: { path: string; body: Record<string, unknown> }[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      const path = req.url ?? '/';
      received.push({ path, body });
      const reply = answer(path, body);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply ?? { allow: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    received,
    hook: (path: string, fail: HttpHook['fail'], timeoutMs = 2_000): HttpHook => ({ url: `${base}${path}`, timeoutMs, fail }),
    async [Symbol.asyncDispose]() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const noHooks = { connect: null, message: null, command: null };

async function joinGlobal(...sockets: ClientSocket[]) {
  for (const socket of sockets) expect((await request(socket, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
}

describe('hooks in process', () => {
  const hooks: TavernHooks = {
    connect: ({ user }) => {
      if (user.userId === 'banned') return { allow: false, message: 'banned until Friday' };
      return { allow: true, user: { name: `${user.userId} the Bold`, roles: ['player', 'moderator'] } };
    },
    message: ({ content }) => {
      if (content.includes('spam')) return { allow: false, code: 'INVALID_PAYLOAD', message: 'no spam' };
      return { allow: true, content: content.replaceAll('gosh', '[moderated]') };
    },
  };

  it('refuses a user at the handshake with a clear code, and enriches the others', async () => {
    await using server = await startTestServer({ hooks });
    expect(await server.refuse({ token: await server.token('banned') })).toEqual({ code: 'FORBIDDEN', message: 'banned until Friday' });
    const alice = await server.connect('alice');
    expect(alice.ready.name).toBe('alice the Bold');
    const socket = [...server.tavern.io.of('/').sockets.values()].find((each) => each.data.user.userId === 'alice');
    expect(socket?.data.user.roles).toEqual(['player', 'moderator']);
  });

  it('rewrites a message before it is stored and broadcast, and a refusal stores nothing', async () => {
    await using server = await startTestServer({ hooks });
    const [alice, bob] = await Promise.all([server.connect('alice'), server.connect('bob')]);
    await joinGlobal(alice, bob);
    const seen: Message[] = [];
    bob.on('chat:message', (message) => seen.push(message));

    const sent = await request(alice, 'chat:send', { channelId: 'global:main', content: 'oh gosh', clientMsgId: 'm1' });
    expect(sent).toMatchObject({ ok: true, data: { message: { content: 'oh [moderated]', seq: 1 } } });
    expect(await request(alice, 'chat:send', { channelId: 'global:main', content: 'buy spam', clientMsgId: 'm2' })).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'no spam' },
    });
    const edited = await request(alice, 'chat:edit', { channelId: 'global:main', messageId: sent.ok ? sent.data.message.id : '', content: 'gosh again' });
    expect(edited).toMatchObject({ ok: true, data: { message: { content: '[moderated] again' } } });

    const history = await request(bob, 'chat:history', { channelId: 'global:main', limit: 50 });
    expect(history.ok && history.data.messages.map((message) => message.content)).toEqual(['[moderated] again']);
    await expect.poll(() => seen.map((message) => message.content)).toEqual(['oh [moderated]']);
  });

  it('shows every accepted command to the audit hook, and not the refused ones', async () => {
    const records: CommandRecord[] = [];
    await using server = await startTestServer({ hooks: { command: (record) => records.push(record) } });
    const alice = await server.connect('alice');
    await request(alice, 'time:sync', { clientTime: 7 });
    await request(alice, 'time:sync', { clientTime: 'late' } as never);
    await request(alice, 'chat:join', { channelId: 'global:main' });
    expect(records.map(({ event, userId, payload }) => ({ event, userId, payload }))).toEqual([
      { event: 'time:sync', userId: 'alice', payload: { clientTime: 7 } },
      { event: 'chat:join', userId: 'alice', payload: { channelId: 'global:main' } },
    ]);
  });

  it('fails closed when a hook throws something that is not a refusal', async () => {
    await using server = await startTestServer({
      hooks: {
        connect: () => {
          throw new Error('player database down');
        },
      },
    });
    expect(await server.refuse({ token: await server.token('alice') })).toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('hooks over HTTP', () => {
  it('refuse, enrich, rewrite and audit through a real HTTP server', async () => {
    await using hookServer = await startHookServer((path, body) => {
      if (path === '/connect') {
        const user = body['user'] as { userId: string };
        return user.userId === 'mallory' ? { allow: false, code: 'FORBIDDEN', message: 'not on the list' } : { allow: true, user: { name: 'From HTTP' } };
      }
      if (path === '/message') return { allow: true, content: String(body['content']).toUpperCase() };
      return {};
    });
    await using server = await startTestServer({
      config: { hooks: { connect: hookServer.hook('/connect', 'closed'), message: hookServer.hook('/message', 'closed'), command: hookServer.hook('/audit', 'open') } },
    });
    expect(await server.refuse({ token: await server.token('mallory') })).toEqual({ code: 'FORBIDDEN', message: 'not on the list' });
    const alice = await server.connect('alice');
    expect(alice.ready.name).toBe('From HTTP');
    await joinGlobal(alice);
    expect(await request(alice, 'chat:send', { channelId: 'global:main', content: 'quiet please', clientMsgId: 'm1' })).toMatchObject({
      ok: true,
      data: { message: { content: 'QUIET PLEASE', senderName: 'From HTTP' } },
    });
    expect(hookServer.received.find((each) => each.path === '/message')?.body).toMatchObject({ userId: 'alice', channelId: 'global:main', content: 'quiet please' });
    await expect.poll(() => hookServer.received.filter((each) => each.path === '/audit').map((each) => each.body['event'])).toEqual(['chat:join', 'chat:send']);
  });

  it('a hook that never answers refuses with UNAVAILABLE when closed, and lets everything through unchanged when open', async () => {
    await using hookServer = await startHookServer(() => 'hang');
    await using closed = await startTestServer({ config: { hooks: { ...noHooks, connect: hookServer.hook('/connect', 'closed', 200) } } });
    expect(await closed.refuse({ token: await closed.token('alice') })).toEqual({ code: 'UNAVAILABLE', message: 'the connect check is unavailable, try again later' });

    await using open = await startTestServer({ config: { hooks: { ...noHooks, connect: hookServer.hook('/connect', 'open', 200), message: hookServer.hook('/message', 'open', 200) } } });
    const bob = await open.connect('bob', { name: 'Bob' });
    expect(bob.ready.name).toBe('Bob');
    await joinGlobal(bob);
    expect(await request(bob, 'chat:send', { channelId: 'global:main', content: 'as typed', clientMsgId: 'm1' })).toMatchObject({
      ok: true,
      data: { message: { content: 'as typed' } },
    });

    await using closedMessages = await startTestServer({ config: { hooks: { ...noHooks, message: hookServer.hook('/message', 'closed', 200) } } });
    const carol = await closedMessages.connect('carol');
    await joinGlobal(carol);
    expect(await request(carol, 'chat:send', { channelId: 'global:main', content: 'lost?', clientMsgId: 'm1' })).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    });
    const history = await request(carol, 'chat:history', { channelId: 'global:main', limit: 50 });
    expect(history.ok && history.data.messages).toEqual([]);
  });

  it('refuses a verdict that is not one, as a failure of the hook', async () => {
    await using hookServer = await startHookServer(() => ({ allow: 'maybe' }));
    await using server = await startTestServer({ config: { hooks: { ...noHooks, connect: hookServer.hook('/connect', 'closed') } } });
    expect(await server.refuse({ token: await server.token('alice') })).toMatchObject({ code: 'UNAVAILABLE' });
  });
});
