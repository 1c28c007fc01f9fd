import { describe, expect, it } from 'vitest';
import { consensusOf } from '../src/features/poker/poker.feature.js';
import { useRedis } from './support/start-redis.js';
import { clusterConfig, next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

/** Every event a socket receives, as sent on the wire. */
function wiretap(socket: ClientSocket): { event: string; payload: unknown }[] {
  const seen: { event: string; payload: unknown }[] = [];
  socket.onAny((event: string, payload: unknown) => seen.push({ event, payload }));
  return seen;
}

const hasKeyDeep = (value: unknown, key: string): boolean =>
  typeof value === 'object' && value !== null && (key in value || Object.values(value).some((inner) => hasKeyDeep(inner, key)));

describe('consensus', () => {
  it('averages and medians numeric votes, and finds the mode and agreement over all', () => {
    expect(consensusOf([{ value: '3' }, { value: '5' }, { value: '5' }, { value: '8' }, { value: '?' }])).toEqual({ average: 5.25, median: 5, mode: '5', agreement: 0.4 });
    expect(consensusOf([{ value: '2' }, { value: '3' }])).toMatchObject({ average: 2.5, median: 2.5 });
    expect(consensusOf([])).toEqual({ average: null, median: null, mode: null, agreement: 0 });
    expect(consensusOf([{ value: 'coffee' }])).toEqual({ average: null, median: null, mode: 'coffee', agreement: 1 });
  });
});

describe('planning poker across two nodes', () => {
  const redis = useRedis();

  it('keeps votes hidden until the reveal, reveals the consensus, and clears votes on reset and story', async () => {
    const fast = clusterConfig(redis().url, { features: { poker: { graceMs: 1_500 } } });
    await using a = await startTestServer({ config: fast });
    await using b = await startTestServer({ config: fast });
    const facilitator = await a.connect('fac');
    const p1 = await b.connect('p1');
    const p2 = await a.connect('p2');
    const watcher = await b.connect('obs');
    const joined = await request(facilitator, 'poker:join', { sessionId: 'sprint-42' });
    expect(joined.ok && joined.data.session).toMatchObject({ facilitatorId: 'fac', revealed: false, story: null });
    for (const socket of [p1, p2]) await request(socket, 'poker:join', { sessionId: 'sprint-42' });
    await request(watcher, 'poker:join', { sessionId: 'sprint-42', role: 'observer' });
    const taps = [facilitator, p1, p2, watcher].map(wiretap);

    const story = await request(facilitator, 'poker:story', { sessionId: 'sprint-42', title: 'Login page' });
    if (!story.ok) throw new Error('story');
    const storyId = story.data.story.id;
    expect(await request(p1, 'poker:story', { sessionId: 'sprint-42', title: 'hijack' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(watcher, 'poker:vote', { sessionId: 'sprint-42', storyId, value: '5' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(p1, 'poker:vote', { sessionId: 'sprint-42', storyId, value: '7' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });

    await request(p1, 'poker:vote', { sessionId: 'sprint-42', storyId, value: '3' });
    await request(p1, 'poker:vote', { sessionId: 'sprint-42', storyId, value: '8', confidence: 4 }); // changed before reveal
    await request(p2, 'poker:vote', { sessionId: 'sprint-42', storyId, value: '5' });
    await request(facilitator, 'poker:vote', { sessionId: 'sprint-42', storyId, value: '5' });
    await expect.poll(() => taps[3]!.filter((entry) => entry.event === 'poker:voted').length).toBe(4);
    const midway = await request(watcher, 'poker:join', { sessionId: 'sprint-42', role: 'observer' });
    expect(midway.ok && hasKeyDeep(midway.data.session, 'votes')).toBe(false);
    // Nothing any client received so far carries a vote's value.
    for (const tap of taps) for (const entry of tap) expect(hasKeyDeep(entry.payload, 'value'), entry.event).toBe(false);

    expect(await request(p2, 'poker:reveal', { sessionId: 'sprint-42' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const revealed = next(watcher, 'poker:revealed');
    await request(facilitator, 'poker:reveal', { sessionId: 'sprint-42' });
    const result = await revealed;
    expect(result.consensus).toEqual({ average: 6, median: 5, mode: '5', agreement: 0.67 });
    expect(result.votes).toContainEqual({ playerId: 'p1', value: '8', confidence: 4 });

    await request(facilitator, 'poker:reset', { sessionId: 'sprint-42' });
    const afterReset = await request(p1, 'poker:join', { sessionId: 'sprint-42' });
    expect(afterReset.ok && afterReset.data.session.players.every((player) => !player.hasVoted)).toBe(true);
    await request(p1, 'poker:vote', { sessionId: 'sprint-42', storyId, value: '2' });
    const next2 = await request(facilitator, 'poker:story', { sessionId: 'sprint-42', title: 'Logout' });
    const afterStory = await request(p1, 'poker:join', { sessionId: 'sprint-42' });
    expect(next2.ok && afterStory.ok && afterStory.data.session.players.every((player) => !player.hasVoted)).toBe(true);

    const timer = next(p2, 'poker:timer');
    const started = await request(facilitator, 'poker:timer', { sessionId: 'sprint-42', action: 'start', seconds: 30 });
    expect((await timer).endsAt).toBe(started.ok ? started.data.endsAt : -1);
  });

  it('keeps a dropped player’s vote and shows them connected again after a reconnect within the grace period', async () => {
    const fast = clusterConfig(redis().url, { features: { poker: { graceMs: 6_000 } } });
    await using a = await startTestServer({ config: fast });
    await using b = await startTestServer({ config: fast });
    const facilitator = await a.connect('fac2');
    let player = await b.connect('dropper');
    await request(facilitator, 'poker:join', { sessionId: 'retro' });
    await request(player, 'poker:join', { sessionId: 'retro' });
    const story = await request(facilitator, 'poker:story', { sessionId: 'retro', title: 'Search' });
    if (!story.ok) throw new Error('story');
    await request(player, 'poker:vote', { sessionId: 'retro', storyId: story.data.story.id, value: '13' });

    const dropped = next(facilitator, 'poker:player:updated');
    player.disconnect();
    expect((await dropped).player).toMatchObject({ id: 'dropper', connected: false, hasVoted: true });
    player = await a.connect('dropper');
    const back = await request(player, 'poker:join', { sessionId: 'retro' });
    expect(back.ok && back.data.session.players.find((each) => each.id === 'dropper')).toMatchObject({ connected: true, hasVoted: true });
    const revealed = next(facilitator, 'poker:revealed');
    await request(facilitator, 'poker:reveal', { sessionId: 'retro' });
    expect((await revealed).votes).toEqual([{ playerId: 'dropper', value: '13' }]);

    // The facilitator leaves: another player facilitates.
    const handedOver = next(player, 'poker:facilitator:changed');
    await request(facilitator, 'poker:leave', { sessionId: 'retro' });
    expect(await handedOver).toEqual({ sessionId: 'retro', facilitatorId: 'dropper' });
  });
});
