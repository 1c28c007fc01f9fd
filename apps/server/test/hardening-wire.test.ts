/**
 * The wire contract read strictly: every `Member` carries the status others may see (an
 * invisible user is `offline`, a busy one `busy`), and client-chosen strings used as keys
 * (`__proto__`, `constructor`, `toString`) are data, never inherited members.
 */
import { describe, expect, it } from 'vitest';
import { next, request, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

async function withStatus(server: TestServer, userId: string, status: 'invisible' | 'busy'): Promise<ClientSocket> {
  const socket = await server.connect(userId, { name: userId });
  expect((await request(socket, 'presence:set', { status })).ok).toBe(true);
  return socket;
}

const seen = { invisible: 'offline', busy: 'busy' } as const;

describe('Member status is the one others may see', () => {
  for (const status of ['invisible', 'busy'] as const) {
    it(`chat:member:joined shows a ${status} user as ${seen[status]}`, async () => {
      await using server = await startTestServer();
      const owner = await server.connect('owner');
      const created = await request(owner, 'chat:create', { name: 'den', visibility: 'private', members: ['hidden'] });
      if (!created.ok) throw new Error('create failed');
      const { channelId } = created.data;
      expect((await request(owner, 'chat:join', { channelId })).ok).toBe(true);
      const hidden = await withStatus(server, 'hidden', status);
      const joined = next(owner, 'chat:member:joined');
      expect((await request(hidden, 'chat:join', { channelId })).ok).toBe(true);
      expect((await joined).member).toEqual({ userId: 'hidden', name: 'hidden', status: seen[status] });
    });

    it(`lobby:member:joined shows a ${status} user as ${seen[status]}`, async () => {
      await using server = await startTestServer();
      const host = await server.connect('host');
      const created = await request(host, 'lobby:create', { maxPlayers: 4 });
      if (!created.ok) throw new Error('create failed');
      const lobbyId = created.data.lobby.id;
      const hidden = await withStatus(server, 'hidden', status);
      const joined = next(host, 'lobby:member:joined');
      const answer = await request(hidden, 'lobby:join', { lobbyId });
      expect((await joined).member).toEqual({ userId: 'hidden', name: 'hidden', ready: false, status: seen[status] });
      expect(answer.ok && answer.data.lobby.members.find((member) => member.userId === 'hidden')?.status).toBe(seen[status]);
    });

    it(`party:invited.from shows a ${status} inviter as ${seen[status]}`, async () => {
      await using server = await startTestServer();
      const hidden = await withStatus(server, 'hidden', status);
      const friend = await server.connect('friend');
      expect((await request(hidden, 'party:create', {})).ok).toBe(true);
      const invited = next(friend, 'party:invited');
      expect((await request(hidden, 'party:invite', { userId: 'friend' })).ok).toBe(true);
      expect((await invited).from).toEqual({ userId: 'hidden', name: 'hidden', status: seen[status] });
    });

    it(`matchmaking:matched players show a ${status} player as ${seen[status]}`, async () => {
      await using server = await startTestServer({ config: { features: { matchmaking: { tickMs: 50 } } } });
      const hidden = await withStatus(server, 'hidden', status);
      const other = await server.connect('other');
      const matched = next(other, 'matchmaking:matched', 5_000);
      expect((await request(hidden, 'matchmaking:join', { mode: 'duel' })).ok).toBe(true);
      expect((await request(other, 'matchmaking:join', { mode: 'duel' })).ok).toBe(true);
      const players = (await matched).players;
      expect(players.find((player) => player.userId === 'hidden')?.status).toBe(seen[status]);
      expect(players.find((player) => player.userId === 'other')?.status).toBe('online');
    });
  }
});

describe('client-chosen keys are data', () => {
  const keys = ['__proto__', 'constructor', 'toString'];

  it('chat:react refuses a word that is not an emoji with INVALID_PAYLOAD, never INTERNAL', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice');
    await request(alice, 'chat:join', { channelId: 'global:main' });
    const sent = await request(alice, 'chat:send', { channelId: 'global:main', content: 'hi', clientMsgId: 'c-hi' });
    if (!sent.ok) throw new Error(`send failed: ${JSON.stringify(sent)}`);
    const messageId = sent.data.message.id;
    for (const emoji of keys) {
      expect(await request(alice, 'chat:react', { channelId: 'global:main', messageId, emoji, on: true })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    }
    for (const emoji of [':proto:', ':constructor:', ':tostring:']) {
      expect((await request(alice, 'chat:react', { channelId: 'global:main', messageId, emoji, on: true })).ok).toBe(true);
    }
    expect((await request(alice, 'chat:react', { channelId: 'global:main', messageId, emoji: '👍🏽', on: true })).ok).toBe(true);
    const history = await request(alice, 'chat:history', { channelId: 'global:main', limit: 1 });
    expect(history.ok && history.data.messages[0]?.reactions).toEqual({ ':proto:': ['alice'], ':constructor:': ['alice'], ':tostring:': ['alice'], '👍🏽': ['alice'] });
  });

  it('a message carries at most 20 different reactions: the 21st answers LIMIT_EXCEEDED, more of one is fine', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice');
    const bob = await server.connect('bob');
    for (const socket of [alice, bob]) await request(socket, 'chat:join', { channelId: 'global:main' });
    const sent = await request(alice, 'chat:send', { channelId: 'global:main', content: 'react to me', clientMsgId: 'c-react' });
    if (!sent.ok) throw new Error(`send failed: ${JSON.stringify(sent)}`);
    const messageId = sent.data.message.id;
    for (let i = 0; i < 20; i++) expect((await request(alice, 'chat:react', { channelId: 'global:main', messageId, emoji: `:e${i}:`, on: true })).ok).toBe(true);
    expect(await request(alice, 'chat:react', { channelId: 'global:main', messageId, emoji: ':e20:', on: true })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect((await request(bob, 'chat:react', { channelId: 'global:main', messageId, emoji: ':e3:', on: true })).ok).toBe(true);
    expect((await request(alice, 'chat:react', { channelId: 'global:main', messageId, emoji: ':e0:', on: false })).ok).toBe(true);
    expect((await request(alice, 'chat:react', { channelId: 'global:main', messageId, emoji: ':e20:', on: true })).ok).toBe(true);
  });

  it('a poker player whose id is __proto__, constructor or toString has not voted until they vote', async () => {
    await using server = await startTestServer();
    for (const userId of keys) {
      const socket = await server.connect(userId);
      const joined = await request(socket, 'poker:join', { sessionId: 'proto-keys' });
      if (!joined.ok) throw new Error(`join failed: ${JSON.stringify(joined)}`);
      expect(joined.data.session.players.map((player) => [player.id, player.hasVoted])).toEqual(
        joined.data.session.players.map((player) => [player.id, false]),
      );
    }
  });

  it('combat:start with an NPC named constructor is NOT_FOUND, and a skill named so is unknown', async () => {
    await using server = await startTestServer({ config: { features: { combat: { turnMs: 60_000 } } } });
    const hero = await server.connect('hero');
    await request(hero, 'zone:enter', { zoneId: 'tavern-district' });
    for (const id of keys) {
      expect(await request(hero, 'combat:start', { opponents: [{ type: 'npc', id }] })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    }
    const started = await request(hero, 'combat:start', { opponents: [{ type: 'npc', id: 'training-dummy' }] });
    if (!started.ok) throw new Error(started.error.message);
    const { sessionId, turn } = started.data.state;
    for (const skillId of keys) {
      expect(await request(hero, 'combat:action', { sessionId, turn, action: 'skill', skillId })).toMatchObject({
        ok: false,
        error: { code: 'PRECONDITION_FAILED', message: 'unknown skill' },
      });
    }
  });

  it('matchmaking:join refuses a mode named __proto__, constructor or toString as unknown', async () => {
    await using server = await startTestServer();
    const player = await server.connect('player');
    for (const mode of keys) {
      expect(await request(player, 'matchmaking:join', { mode })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    }
    expect((await request(player, 'matchmaking:join', { mode: 'duel' })).ok).toBe(true);
  });
});
