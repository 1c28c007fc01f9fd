import { Histogram, Registry, type MetricValueWithName } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotCounter, HotHistogram } from './hot-metrics.js';

/** The exposition's sample lines, each with its labels in name order (Prometheus ignores order). */
function samples(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (.+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
      return `${match[1]}{${labels}} ${match[3]}`;
    })
    .sort();
}

function registry(): Registry {
  const created = new Registry();
  created.setDefaultLabels({ node: 'n1' });
  return created;
}

describe('HotCounter', () => {
  it('hands hot increments to Prometheus at each scrape, each counted once', async () => {
    const metrics = registry();
    const counter = new HotCounter({ name: 'acks_total', help: 'acks', labelNames: ['code'], registers: [metrics] });
    const ok = counter.series({ code: 'OK' });
    ok.inc();
    ok.inc();
    counter.labels('CONFLICT').inc();
    expect(samples(await metrics.metrics())).toEqual(['acks_total{code="CONFLICT",node="n1"} 1', 'acks_total{code="OK",node="n1"} 2']);
    expect(samples(await metrics.metrics())).toContain('acks_total{code="OK",node="n1"} 2');
    ok.inc();
    expect(samples(await metrics.metrics())).toContain('acks_total{code="OK",node="n1"} 3');
  });

  it('drops unscraped increments on a registry reset', async () => {
    const metrics = registry();
    const counter = new HotCounter({ name: 'acks_total', help: 'acks', labelNames: ['code'], registers: [metrics] });
    const ok = counter.series({ code: 'OK' });
    ok.inc();
    metrics.resetMetrics();
    expect(samples(await metrics.metrics())).toEqual([]);
    ok.inc();
    expect(samples(await metrics.metrics())).toEqual(['acks_total{code="OK",node="n1"} 1']);
  });
});

describe('HotHistogram', () => {
  const buckets = [0.001, 0.01, 0.1, 1];
  const observed = [0.0005, 0.001, 0.002, 0.05, 0.05, 0.5, 3, 0];

  it("exposes the same samples as prom-client's Histogram for the same observations", async () => {
    const hot = registry();
    const histogram = new HotHistogram<'event'>('handler_seconds', 'handler time', buckets, hot);
    const send = histogram.series({ event: 'chat:send' });
    histogram.series({ event: 'chat:read' }); // never observed: not exposed, as with prom-client
    const reference = registry();
    const expected = new Histogram({ name: 'handler_seconds', help: 'handler time', labelNames: ['event'], buckets, registers: [reference] });
    for (const value of observed) {
      send.observe(value);
      expected.labels('chat:send').observe(value);
    }
    const text = await hot.metrics();
    expect(samples(text)).toEqual(samples(await reference.metrics()));
    expect(text).toContain('# TYPE handler_seconds histogram');
    expect(samples(text)).toContain('handler_seconds_bucket{event="chat:send",le="0.01",node="n1"} 4');
    // The JSON form too, but for prom-client's empty exemplar fields.
    const json = async (from: Registry) =>
      (await from.getMetricsAsJSON()).map(({ values, ...metric }) => ({ ...metric, values: values.map((sample) => ({ metricName: (sample as MetricValueWithName<string>).metricName, labels: sample.labels, value: sample.value })) }));
    expect(await json(hot)).toEqual(await json(reference));
  });

  it('starts again from zero after a registry reset', async () => {
    const hot = registry();
    const histogram = new HotHistogram<'event'>('handler_seconds', 'handler time', buckets, hot);
    const send = histogram.series({ event: 'chat:send' });
    send.observe(0.5);
    hot.resetMetrics();
    expect(samples(await hot.metrics())).toEqual([]);
    send.observe(0.002);
    expect(samples(await hot.metrics())).toContain('handler_seconds_count{event="chat:send",node="n1"} 1');
  });
});
