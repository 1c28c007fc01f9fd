/**
 * The Redis Cluster plumbing against a real cluster (3 masters, 1 replica each): the URL,
 * slots computed like Redis does, scripts run on the master owning their keys (loaded there
 * by EVAL when it lacks them), multi-key calls split per slot, and sharded pub/sub.
 */
import { describe, expect, it } from 'vitest';
import { keySlot } from '../src/platform/key-slot.js';
import { defineScript, parseRedisUrl } from '../src/platform/redis.js';
import { connectStores } from './support/redis-connections.js';
import { useRedisCluster } from './support/start-redis-cluster.js';

describe('parseRedisUrl', () => {
  it('reads one Redis, or a cluster as seed nodes with credentials and TLS', () => {
    expect(parseRedisUrl('redis://:pw@10.0.0.1:6380/2')).toEqual({ cluster: false, nodes: [{ host: '10.0.0.1', port: 6380 }], password: 'pw', tls: false, db: 2 });
    expect(parseRedisUrl('rediss+cluster://app:s%40cret@a.example:7000,b.example,[::1]:7002')).toEqual({
      cluster: true,
      nodes: [
        { host: 'a.example', port: 7000 },
        { host: 'b.example', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      username: 'app',
      password: 's@cret',
      tls: true,
      db: 0,
    });
    expect(() => parseRedisUrl('redis+cluster://a:1,:2')).toThrow(/invalid cluster node/);
  });
});

describe('RedisConnections on a Redis Cluster', () => {
  const cluster = useRedisCluster();

  it('computes the slot of a key, hash tag or not, as the cluster does', async () => {
    const client = cluster().client();
    for (const key of ['tavern:user:alice:sockets', 'chat:{room:1}:seq', 'a{}b', '{}{x}', 'x{y', 'émoji🙂{🙂}', '']) {
      expect(keySlot(key), key).toBe(await client.cluster('KEYSLOT', key));
    }
  });

  it('runs a script on the master owning its keys, loading it there on first use and after a flush', async () => {
    const redis = await connectStores(cluster().url, 'scripts:');
    try {
      const incr = defineScript(`return redis.call('INCR', KEYS[1])`);
      // Keys on every master: each lacks the script until its first call.
      const keys = Array.from({ length: 12 }, (_, i) => redis.key('n', String(i)));
      expect(new Set(keys.map(keySlot)).size).toBe(12);
      expect(await redis.run((client) => Promise.all(keys.map((key) => incr(client, [key], []))))).toEqual(keys.map(() => 1));
      const admin = cluster().client();
      await admin.cluster('INFO'); // queued until the client knows the slots, and so the masters
      expect(admin.nodes('master')).toHaveLength(3);
      await Promise.all(admin.nodes('master').map((node) => node.script('FLUSH')));
      expect(await redis.run((client) => Promise.all(keys.map((key) => incr(client, [key], []))))).toEqual(keys.map(() => 2));
    } finally {
      await redis.close();
    }
  });

  it('splits a multi-key call into one per slot and gives the answers back in key order', async () => {
    const redis = await connectStores(cluster().url, 'slots:');
    try {
      const keys = ['{a}1', '{b}1', '{a}2', '{c}1', '{b}2'].map((key) => redis.key(key));
      const groups: number[][] = [];
      const answers = await redis.run(() =>
        redis.eachSlot(keys, async (indexes) => {
          groups.push(indexes);
          return indexes.map((index) => keys[index]);
        }),
      );
      expect(answers).toEqual(keys);
      expect(groups.map((group) => group.join()).sort()).toEqual(['0,2', '1,4', '3']);
    } finally {
      await redis.close();
    }
  });

  it('delivers a sharded publish to a subscriber of that channel, whichever master owns it', async () => {
    const redis = await connectStores(cluster().url, 'pubsub:');
    try {
      const channels = Array.from({ length: 6 }, (_, i) => `pubsub:room-${i}`);
      const received: string[] = [];
      redis.sub.on('smessage', (channel: string) => received.push(channel));
      await Promise.all(channels.map((channel) => redis.sub.ssubscribe(channel)));
      await Promise.all(channels.map((channel) => redis.pub.spublish(channel, 'hi')));
      await expect.poll(() => received.sort()).toEqual([...channels].sort());
    } finally {
      await redis.close();
    }
  });
});
