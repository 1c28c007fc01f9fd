/**
 * No client can create unbounded server state (issue 19): a party, a lobby or a poker session
 * nobody acts on expires after its TTL, in memory and in Redis, and in Redis even when the node
 * that made it was SIGKILLed and no disconnect handler ever ran. One whose members keep acting
 * lives on.
 */
import type { Result } from '@tavern/protocol';
import { setTimeout } from 'node:timers/promises';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { useRedis } from './support/start-redis.js';
import { startServerProcess } from './support/start-server-process.js';
import { clusterConfig, next, request, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

const TTL_MS = 1_500;
const ttls = { party: { ttlMs: TTL_MS }, lobby: { ttlMs: TTL_MS }, poker: { ttlMs: TTL_MS } };
/** Generous: an expiry is looked for well past its TTL on a busy machine. */
const EXPIRY_WAIT = { timeout: 6 * TTL_MS, interval: 100 };

const codeOf = (answer: Result<unknown>) => (answer.ok ? 'ok' : answer.error.code);

function data<T>(answer: Result<T>): T {
  if (!answer.ok) throw new Error(`command failed: ${JSON.stringify(answer.error)}`);
  return answer.data;
}

/** A lobby, a poker session with a story, and a party with an invitation to `invitee`, all made by `owner`. */
async function makeAll(owner: ClientSocket, invitee: string, sessionId: string) {
  const lobbyId = data(await request(owner, 'lobby:create', { maxPlayers: 4 })).lobby.id;
  data(await request(owner, 'poker:join', { sessionId }));
  const storyId = data(await request(owner, 'poker:story', { sessionId, title: 'Login page' })).story.id;
  const partyId = data(await request(owner, 'party:create', {})).party.id;
  data(await request(owner, 'party:invite', { userId: invitee }));
  return { lobbyId, sessionId, storyId, partyId };
}

/** Keys under the server's prefix that belong to parties, lobbies and poker sessions (indexes included). */
async function keysOfState(redisKeys: (pattern: string) => Promise<string[]>): Promise<string[]> {
  const keys = await Promise.all(['tavern:party*', 'tavern:lobby*', 'tavern:poker*'].map(redisKeys));
  return keys.flat().sort();
}

describe('parties, lobbies and poker sessions expire', () => {
  const redis = useRedis();
  const stores: [string, () => Promise<TestServer>][] = [
    ['memory', () => startTestServer({ config: { features: ttls } })],
    ['redis', () => startTestServer({ config: { ...clusterConfig(redis().url), features: ttls } })],
  ];

  for (const [store, start] of stores) {
    it(`ones left untouched past their TTL are NOT_FOUND to later commands (${store})`, async () => {
      await using server = await start();
      const owner = await server.connect('owner');
      const friend = await server.connect('friend');
      const outsider = await server.connect('outsider');
      const { lobbyId, sessionId, storyId, partyId } = await makeAll(owner, 'friend', 'retro');

      // Refused commands of an outsider keep nothing alive: FORBIDDEN while it exists, then NOT_FOUND.
      expect(codeOf(await request(outsider, 'lobby:subscribe', { lobbyId }))).toBe('FORBIDDEN');
      await expect.poll(async () => codeOf(await request(outsider, 'lobby:subscribe', { lobbyId })), EXPIRY_WAIT).toBe('NOT_FOUND');
      await expect.poll(async () => codeOf(await request(outsider, 'poker:vote', { sessionId, storyId, value: '5' })), EXPIRY_WAIT).toBe('NOT_FOUND');
      // The party's leader is in no party any more; the invitation leads nowhere.
      await expect.poll(async () => codeOf(await request(owner, 'party:kick', { userId: 'nobody' })), EXPIRY_WAIT).toBe('PRECONDITION_FAILED');
      expect(await request(friend, 'party:accept', { partyId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

      expect(await request(owner, 'lobby:ready', { lobbyId, ready: true })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await request(friend, 'lobby:join', { lobbyId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await request(owner, 'poker:story', { sessionId, title: 'again' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await request(owner, 'party:leave', {})).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED' } });
      if (store === 'redis') {
        const client = redis().client();
        // Records, members' pointers and invitations alike: nothing is left, and no index grows.
        await expect.poll(() => keysOfState((pattern) => client.keys(pattern)), EXPIRY_WAIT).toEqual([]);
      }
      // What expired is gone for good: the same user starts afresh.
      expect(data(await request(owner, 'party:create', {})).party.members).toHaveLength(1);
      expect(data(await request(friend, 'poker:join', { sessionId })).session).toMatchObject({ facilitatorId: 'friend', story: null, players: [{ id: 'friend' }] });
    });

    it(`ones whose members keep acting outlive their TTL, beside idle ones that expire (${store})`, async () => {
      await using server = await start();
      const host = await server.connect('host');
      const guest = await server.connect('guest');
      const idler = await server.connect('idler');
      const active = await makeAll(host, 'guest', 'active');
      const idle = await makeAll(idler, 'guest', 'idle');
      // Kept only by a member looking at it (a game in progress writes nothing to its lobby).
      const watchedLobbyId = data(await request(idler, 'lobby:create', { maxPlayers: 2 })).lobby.id;
      // Kept only by its member coming and going (a reload, a network change).
      let rejoiner = await server.connect('rejoiner');
      const rejoinersPartyId = data(await request(rejoiner, 'party:create', {})).party.id;

      const startedAt = Date.now();
      for (let ready = true; Date.now() - startedAt < 2 * TTL_MS; ready = !ready) {
        data(await request(host, 'lobby:ready', { lobbyId: active.lobbyId, ready }));
        data(await request(host, 'poker:timer', { sessionId: active.sessionId, action: 'start', seconds: 60 }));
        data(await request(host, 'party:invite', { userId: 'guest' }));
        data(await request(idler, 'lobby:subscribe', { lobbyId: watchedLobbyId }));
        rejoiner.disconnect();
        rejoiner = await server.connect('rejoiner');
        await setTimeout(TTL_MS / 5); // the pace of people at the table
      }

      expect(await request(guest, 'lobby:join', { lobbyId: idle.lobbyId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await request(idler, 'poker:reveal', { sessionId: idle.sessionId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await request(guest, 'party:accept', { partyId: idle.partyId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

      expect(data(await request(guest, 'lobby:join', { lobbyId: active.lobbyId })).lobby.members.map((member) => member.userId)).toEqual(['host', 'guest']);
      expect(data(await request(guest, 'poker:join', { sessionId: active.sessionId })).session).toMatchObject({ facilitatorId: 'host', story: { id: active.storyId } });
      expect(data(await request(guest, 'party:accept', { partyId: active.partyId })).party.members.map((member) => member.userId)).toEqual(['host', 'guest']);
      expect(data(await request(guest, 'lobby:join', { lobbyId: watchedLobbyId })).lobby.members).toHaveLength(2);
      // Still in the party, and in its room again: `nobody` is not a member (NOT_FOUND), not "you are in no party".
      expect(await request(rejoiner, 'party:kick', { userId: 'nobody' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect((await request(rejoiner, 'chat:join', { channelId: `party:${rejoinersPartyId}` })).ok).toBe(true);
    });
  }

  it('what a SIGKILLed node made expires in Redis, though no node ever touches it again', { timeout: 60_000 }, async () => {
    await using node = await startServerProcess({ REDIS_URL: redis().url, NODE_ID: 'doomed', PARTY_TTL_MS: String(TTL_MS), LOBBY_TTL_MS: String(TTL_MS), POKER_TTL_MS: String(TTL_MS) });
    const connect = async (userId: string) => {
      const socket: ClientSocket = io(node.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: await node.token(userId) } });
      await next(socket, 'session:ready');
      return socket;
    };
    const owner = await connect('crash-owner');
    const friend = await connect('crash-friend');
    const { lobbyId, sessionId, partyId } = await makeAll(owner, 'crash-friend', 'crash');
    data(await request(friend, 'lobby:join', { lobbyId }));
    data(await request(friend, 'poker:join', { sessionId }));
    data(await request(friend, 'party:accept', { partyId }));
    const client = redis().client();
    const made = await keysOfState((pattern) => client.keys(pattern));
    expect(made).toEqual(expect.arrayContaining([`tavern:lobby:record:${lobbyId}`, `tavern:poker:record:${sessionId}`, `tavern:party:record:${partyId}`]));

    // No disconnect handler runs: the members stay in everything, as far as Redis knows.
    node.kill('SIGKILL');
    expect(await node.exited).toBe('SIGKILL');
    owner.close();
    friend.close();
    await expect.poll(() => keysOfState((pattern) => client.keys(pattern)), EXPIRY_WAIT).toEqual([]);
  });
});
