/**
 * One contract for the Redis connection store on a single Redis and on a Redis Cluster, where
 * a user's hash, a node's socket set and heartbeat, and `nodes` are all in different slots.
 */
import { describe, expect, it } from 'vitest';
import { REDIS_BACKENDS, useStoreConnections } from '../../test/support/redis-connections.js';
import { RedisConnectionStore } from './connection.store.js';

describe.each(REDIS_BACKENDS)('RedisConnectionStore on %s', (backend) => {
  const connections = useStoreConnections('registry-contract:', backend);
  let runs = 0;
  const fresh = () => {
    const tag = `${Date.now().toString(36)}${runs++}`;
    return { node: (name: string) => `${name}-${tag}`, user: (name: string) => `${name}-${tag}` };
  };

  it('caps live sockets per user across nodes; sockets of a node that stopped heart-beating do not count', async () => {
    const store = new RedisConnectionStore(connections());
    const { node, user } = fresh();
    const [alive, dead] = [node('alive'), node('dead')];
    await store.heartbeat(alive, 10_000);
    await store.heartbeat(dead, 10_000);
    const alice = user('alice');
    expect(await store.add({ userId: alice, socketId: 's1', nodeId: alive }, 2)).toBe(true);
    expect(await store.add({ userId: alice, socketId: 's2', nodeId: dead }, 2)).toBe(true);
    expect(await store.add({ userId: alice, socketId: 's3', nodeId: alive }, 2)).toBe(false);
    expect((await store.userSockets(alice)).map((entry) => entry.socketId).sort()).toEqual(['s1', 's2']);

    await connections().run((client) => client.del(connections().key('node', dead)));
    expect(await store.userSockets(alice)).toEqual([{ userId: alice, socketId: 's1', nodeId: alive }]);
    expect(await store.add({ userId: alice, socketId: 's3', nodeId: alive }, 2)).toBe(true);
    expect(await store.onlineUsers([alice, user('nobody')])).toEqual(new Set([alice]));
    expect(await store.liveNodes()).toContain(alive);
    expect(await store.liveNodes()).not.toContain(dead);

    await store.remove({ userId: alice, socketId: 's1', nodeId: alive });
    await store.remove({ userId: alice, socketId: 's3', nodeId: alive });
    expect(await store.onlineUsers([alice])).toEqual(new Set());
  });

  it('reaps a dead node once, however many nodes reap at the same time, and leaves sockets that moved alone', async () => {
    const store = new RedisConnectionStore(connections());
    const { node, user } = fresh();
    const [survivor, doomed] = [node('survivor'), node('doomed')];
    await store.heartbeat(survivor, 10_000);
    await store.heartbeat(doomed, 300);
    const users = [user('u1'), user('u2'), user('u3')];
    for (const [i, userId] of users.entries()) expect(await store.add({ userId, socketId: `d${i}`, nodeId: doomed }, 5)).toBe(true);
    expect(await store.add({ userId: users[0]!, socketId: 'kept', nodeId: survivor }, 5)).toBe(true);
    await expect.poll(async () => (await store.liveNodes()).includes(doomed)).toBe(false);

    const reaps = await Promise.all([store.reapDeadNodes(), store.reapDeadNodes(), store.reapDeadNodes()]);
    const reaped = reaps.flat().filter((entry) => entry.nodeId === doomed);
    expect(reaped.map((entry) => entry.socketId).sort()).toEqual(['d0', 'd1', 'd2']);
    expect(await store.onlineUsers(users)).toEqual(new Set([users[0]]));
    expect(await store.userSockets(users[0]!)).toEqual([{ userId: users[0], socketId: 'kept', nodeId: survivor }]);
    expect((await store.reapDeadNodes()).filter((entry) => entry.nodeId === doomed)).toEqual([]);
  });

  it('restores a node after Redis lost its data, and a node that leaves removes its sockets', async () => {
    const store = new RedisConnectionStore(connections());
    const { node, user } = fresh();
    const here = node('here');
    const [bob, carol] = [user('bob'), user('carol')];
    await store.heartbeat(here, 10_000);
    await store.restore(here, [
      { userId: bob, socketId: 'b1', nodeId: here },
      { userId: bob, socketId: 'b2', nodeId: here },
      { userId: carol, socketId: 'c1', nodeId: here },
    ]);
    expect((await store.userSockets(bob)).map((entry) => entry.socketId).sort()).toEqual(['b1', 'b2']);
    expect(await store.onlineUsers([bob, carol])).toEqual(new Set([bob, carol]));

    await store.removeNode(here);
    expect(await store.onlineUsers([bob, carol])).toEqual(new Set());
    expect(await store.liveNodes()).not.toContain(here);
  });

  it('holds sessions for their owner until they expire', async () => {
    const store = new RedisConnectionStore(connections());
    const { user } = fresh();
    const dave = user('dave');
    await store.holdSessions([
      { sessionId: `${dave}-s1`, userId: dave, ttlMs: 10_000 },
      { sessionId: `${dave}-s2`, userId: dave, ttlMs: 10_000 },
    ]);
    await store.saveSession(`${dave}-s3`, dave, 200);
    expect(await Promise.all([1, 2, 3].map((i) => store.sessionOwner(`${dave}-s${i}`)))).toEqual([dave, dave, dave]);
    await expect.poll(() => store.sessionOwner(`${dave}-s3`)).toBeNull();
  });
});
