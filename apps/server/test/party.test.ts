import { describe, expect, it } from 'vitest';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { clusterConfig, next, request, startTestServer } from './support/start-test-server.js';

describe.each(REDIS_BACKENDS)('parties across two nodes (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('runs invite, accept, decline, kick, leader handover and disband with a member on another node', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url) });
    await using b = await startTestServer({ config: clusterConfig(redis().url) });
    const leader = await a.connect('leader', { name: 'Leader' });
    const remote = await b.connect('remote');
    const remoteSecondTab = await a.connect('remote');
    const third = await a.connect('third');
    const shy = await b.connect('shy');

    const created = await request(leader, 'party:create', {});
    if (!created.ok) throw new Error('create failed');
    const partyId = created.data.party.id;
    expect(created.data.party).toMatchObject({ leaderId: 'leader', members: [{ userId: 'leader' }] });
    expect(await request(leader, 'party:create', {})).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

    // The invitee gets party:invited on every socket, on both nodes.
    const invitedTabs = Promise.all([next(remote, 'party:invited'), next(remoteSecondTab, 'party:invited')]);
    expect((await request(leader, 'party:invite', { userId: 'remote' })).ok).toBe(true);
    for (const invite of await invitedTabs) expect(invite).toEqual({ partyId, from: { userId: 'leader', name: 'Leader', status: 'online' } });

    const leaderSees = next(leader, 'party:updated');
    const accepted = await request(remote, 'party:accept', { partyId });
    expect(accepted.ok && accepted.data.party.members.map((member) => member.userId)).toEqual(['leader', 'remote']);
    expect((await leaderSees).party.members).toHaveLength(2);
    expect(await request(remote, 'party:accept', { partyId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    await request(leader, 'party:invite', { userId: 'shy' });
    expect((await request(shy, 'party:decline', { partyId })).ok).toBe(true);
    expect(await request(shy, 'party:accept', { partyId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    await request(remote, 'party:invite', { userId: 'third' });
    await request(third, 'party:accept', { partyId });
    // Party chat works for members only, across nodes.
    expect((await request(remote, 'chat:join', { channelId: `party:${partyId}` })).ok).toBe(true);
    expect(await request(shy, 'chat:join', { channelId: `party:${partyId}` })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    expect(await request(remote, 'party:kick', { userId: 'third' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const kickedSees = next(third, 'party:updated');
    expect((await request(leader, 'party:kick', { userId: 'third' })).ok).toBe(true);
    expect((await kickedSees).party.members.map((member) => member.userId)).toEqual(['leader', 'remote']);

    // The leader leaves: the longest-present member leads.
    const remoteSaw: unknown[] = [];
    remote.on('party:updated', ({ party }) => remoteSaw.push(party));
    await request(leader, 'party:leave', {});
    await expect.poll(() => remoteSaw.at(-1)).toMatchObject({ leaderId: 'remote', members: [{ userId: 'remote' }] });

    const disbanded = next(remote, 'party:disbanded');
    await request(remote, 'party:leave', {});
    expect(await disbanded).toEqual({ partyId });
    expect(await request(remote, 'party:leave', {})).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED' } });
  });
});
