/**
 * presence:subscribe with 500 ids used to cost ~1,000 Redis commands (an HGETALL and a
 * socket lookup per id). The reads are now one script call each for presence and for the
 * connection registry, whatever the number of ids, and a per-connection budget of ids per
 * second answers RATE_LIMITED (with retryAfterMs) beyond it.
 */
import { describe, expect, it } from 'vitest';
import { useRedis } from './support/start-redis.js';
import { clusterConfig, request, startTestServer } from './support/start-test-server.js';

describe('presence:subscribe cost', () => {
  const redis = useRedis();

  it('a 500-id subscribe makes a bounded number of Redis calls, and the id budget answers RATE_LIMITED', async () => {
    await using server = await startTestServer({ config: clusterConfig(redis().url) });
    const watcher = await server.connect('watcher');
    const ids = Array.from({ length: 500 }, (_, i) => `watched-${i}`);

    // Every read a client sends (not those a script runs) that names one of the ids. The
    // cluster adapter's SSUBSCRIBE of each new room's channel (once per room and node) is
    // the pub/sub subscription, not a read, and is left out.
    const monitor = await redis().client().monitor();
    const calls: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === 'lua') return;
      if (/^s?(un)?subscribe$/i.test(args[0] ?? '')) return;
      if (args.some((arg) => arg.includes('watched-'))) calls.push(args);
    });
    // MONITOR has seen everything sent before a probe once it echoes the probe.
    const probe = redis().client();
    const fence = (name: string) =>
      new Promise<void>((resolve) => {
        const seen = (_time: string, args: string[]) => {
          if (args[1] !== name) return;
          monitor.off('monitor', seen);
          resolve();
        };
        monitor.on('monitor', seen);
        void probe.get(name);
      });
    await fence('monitor-probe');

    const answer = await request(watcher, 'presence:subscribe', { userIds: ids });
    expect(answer.ok && answer.data.presences).toHaveLength(500);
    await fence('monitor-fence');
    monitor.disconnect();
    // Presence entries and online checks: one script call each (plus a reload if the script was not cached).
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.length).toBeLessThanOrEqual(4);

    // The budget is 500 ids/s with a burst of 1,000: a second 500 fits, a third is refused.
    expect((await request(watcher, 'presence:subscribe', { userIds: ids })).ok).toBe(true);
    const refused = await request(watcher, 'presence:subscribe', { userIds: ids });
    expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(!refused.ok && refused.error.retryAfterMs).toBeGreaterThan(0);
    // Another connection has a budget of its own.
    const other = await server.connect('other');
    expect((await request(other, 'presence:subscribe', { userIds: ids })).ok).toBe(true);
  });
});
