/** The arithmetic every figure depends on: percentiles, pairing, trends, frame reading. */
import { describe, expect, it } from 'vitest';
import { countOccurrences, CHARACTER_ID_KEY, sentAt } from './load/frames.js';
import { Histogram } from './load/histogram.js';
import { goals, pairedFigure, pairRuns } from './results.js';
import { chatFeature } from '@tavern/server';
import { CHAT_RETENTION, soakWarmupMs } from './options.js';
import { trend } from './scenarios/soak.js';

describe('Histogram', () => {
  it('gives percentiles within 2% of the exact value, also after a merge over IPC', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let value = 1; value <= 10_000; value++) (value % 2 ? a : b).record(value / 100); // 0.01 .. 100 ms
    const merged = Histogram.from(a.toJSON());
    merged.merge(JSON.parse(JSON.stringify(b.toJSON())) as ReturnType<Histogram['toJSON']>);
    expect(merged.count).toBe(10_000);
    expect(merged.percentile(50)).toBeGreaterThan(50 * 0.98);
    expect(merged.percentile(50)).toBeLessThan(50 * 1.02);
    expect(merged.percentile(99)).toBeGreaterThan(99 * 0.98);
    expect(merged.percentile(99)).toBeLessThan(99 * 1.02);
    expect(merged.max).toBe(100);
  });

  it('is NaN when empty and never reports beyond the largest sample', () => {
    const histogram = new Histogram();
    expect(histogram.percentile(99)).toBeNaN();
    histogram.record(3);
    expect(histogram.percentile(100)).toBe(3);
  });
});

describe('paired figures', () => {
  it('takes the median of each side and the median of the per-run ratios', () => {
    const runs = pairRuns([{ v: 10 }, { v: 30 }, { v: 20 }], [{ v: 10 }, { v: 10 }, { v: 40 }], (run) => run.v);
    const figure = pairedFigure('x', 'MB', runs, goals.memory);
    expect(figure.value).toBe(20);
    expect(figure.baseline).toBe(10);
    expect(figure.ratio).toBe(1); // ratios 1, 3, 0.5
    expect(figure.met).toBe(true);
  });

  it('leaves the ratio empty when one side did not run', () => {
    const figure = pairedFigure('x', '/s', pairRuns([], [{ v: 5 }], (run) => run.v), goals.handshakes);
    expect(figure.value).toBeNull();
    expect(figure.baseline).toBe(5);
    expect(figure.ratio).toBeNull();
    expect(figure.met).toBeNull();
  });
});

describe('soak trend', () => {
  const noise = (t: number) => Math.sin(t * 1.7) * 2;
  it('calls a sawtooth around a level flat', () => {
    const points = Array.from({ length: 54 }, (_, i) => ({ t: 60 + i * 10, v: 150 + noise(i) }));
    expect(trend(points).flat).toBe(true);
  });

  it('calls a steady climb a trend', () => {
    const points = Array.from({ length: 54 }, (_, i) => ({ t: 60 + i * 10, v: 150 + i * 0.5 + noise(i) }));
    const result = trend(points);
    expect(result.flat).toBe(false);
    expect(result.growthMb).toBeGreaterThan(20);
  });

  it('warms up until the retained chat history is full, as the server configures it', () => {
    expect(CHAT_RETENTION).toBe(chatFeature.settings?.schema.parse({}).retention);
    // 20 channels x 1,000 messages at 100 msgs/s: 200 s to fill, then 8 minutes for V8 to settle.
    expect(soakWarmupMs({ channels: 20, chatPerSec: 100 })).toBe(680_000);
  });
});

describe('frame reading', () => {
  it('reads the send time out of a chat message without parsing it', () => {
    const frame = Buffer.from('42["chat:message",{"id":"1-x","channelId":"guild:g","seq":1,"content":"1763876543210.125 s0-1","clientMsgId":"s0-1"}]');
    expect(sentAt(frame)).toBeCloseTo(1763876543210.125, 3);
    expect(sentAt(Buffer.from('42["chat:message",{"id":"1"}]'))).toBeNaN();
  });

  it('counts the positions in a snapshot', () => {
    const frame = Buffer.from(JSON.stringify(['zone:snapshot', { zoneId: 'z', tick: 1, serverTime: 1, players: [1, 2, 3].map((n) => ({ characterId: `c${n}`, x: n, y: n })) }]));
    expect(countOccurrences(frame, CHARACTER_ID_KEY)).toBe(3);
  });
});
