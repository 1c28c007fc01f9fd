/**
 * deploy/grafana/tavern.json against a real server: every metric its queries name, and every
 * label they group or filter by, is one the server really exports at GET /metrics.
 */
import { PROTOCOL_VERSION } from '@tavern/protocol';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat, { type Family } from 'parse-prometheus-text-format';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startRedis } from './support/start-redis.js';
import { startServerProcess, type ServerProcess } from './support/start-server-process.js';

interface Target {
  expr?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { type: string; name: string; query: unknown; datasource?: { uid: string } }[] };
}

const dashboard = JSON.parse(readFileSync(new URL('../../../deploy/grafana/tavern.json', import.meta.url), 'utf8')) as Dashboard;

/** Every panel, those inside collapsed rows included. */
function panelsOf(list: readonly Panel[]): Panel[] {
  return list.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])]);
}

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names and label names a PromQL expression uses (functions, keywords, variables, literals left out). */
export function parsePromql(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  const cleaned = expr
    // Grafana variables ($node, ${node}, $__rate_interval) and string literals first: they may hold anything.
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    // Label matchers: their keys are labels, and nothing in them is a metric.
    .replace(/\{([^}]*)\}/g, (_match, inner: string) => {
      for (const [, key] of inner.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.push(key!);
      return ' ';
    })
    // Ranges and subqueries.
    .replace(/\[[^\]]*\]/g, ' ')
    // Grouping and vector matching: label lists.
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_match, inner: string) => {
      labels.push(...inner.split(',').map((label) => label.trim()).filter(Boolean));
      return ' ';
    });
  // A whole name, not one followed by "(" (a function or an aggregation).
  const metrics = [...cleaned.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)]
    .filter((match) => match[2] === undefined)
    .map((match) => match[1]!)
    .filter((name) => !PROMQL_KEYWORDS.has(name.toLowerCase()));
  return { metrics: [...new Set(metrics)], labels: [...new Set(labels)] };
}

/** `label_values(metric, label)` of a templating query. */
function parseLabelValues(query: string): { metrics: string[]; labels: string[] } {
  const match = /^label_values\(\s*(?:([^,]+?)\s*,\s*)?(\w+)\s*\)$/.exec(query.trim());
  if (!match) throw new Error(`unexpected variable query ${query}`);
  const selector = match[1] ? parsePromql(match[1]) : { metrics: [], labels: [] };
  return { metrics: selector.metrics, labels: [...selector.labels, match[2]!] };
}

interface Usage {
  where: string;
  metrics: string[];
  labels: string[];
}

function usages(): Usage[] {
  const found: Usage[] = [];
  for (const panel of panelsOf(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      if (target.expr) found.push({ where: `panel "${panel.title}"`, ...parsePromql(target.expr) });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : (variable.query as { query: string }).query;
    found.push({ where: `variable $${variable.name}`, ...parseLabelValues(query) });
  }
  return found;
}

/** What a scrape exports of one family: its type, and the labels of its samples. */
interface Exported {
  type: Family['type'];
  samples: number;
  labels: Set<string>;
}

/**
 * The families of a scrape. Names and types come from parse-prometheus-text-format (which also
 * refuses malformed text); labels from the sample lines themselves, because that parser drops
 * the labels of histogram samples.
 */
function exportedFamilies(text: string): Map<string, Exported> {
  const families = new Map<string, Exported>(
    parsePrometheusTextFormat(text).map((family) => [family.name, { type: family.type, samples: 0, labels: new Set<string>() }]),
  );
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!sample) continue;
    const family = familyOf(sample[1]!, families);
    if (!family) throw new Error(`a sample outside any declared family: ${line}`);
    family.samples++;
    for (const [, label] of (sample[2] ?? '').matchAll(/(\w+)="(?:[^"\\]|\\.)*"/g)) family.labels.add(label!);
  }
  return families;
}

/** The family a series name belongs to: itself, a histogram's or summary's `_bucket`/`_sum`/`_count`, or a counter named without `_total`. */
function familyOf<F extends { type: Family['type'] }>(name: string, families: ReadonlyMap<string, F>): F | undefined {
  const exact = families.get(name);
  if (exact) return exact;
  const suffix = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (suffix) {
    const base = families.get(suffix[1]!);
    if (base?.type === 'HISTOGRAM' || (base?.type === 'SUMMARY' && suffix[2] !== 'bucket')) return base;
  }
  const counter = families.get(`${name}_total`);
  return counter?.type === 'COUNTER' ? counter : undefined;
}

/** What of `used` the scrape does not export: unknown metric names, and labels no sample of the query's metrics has. */
function problems(used: readonly Usage[], families: ReadonlyMap<string, Exported>): string[] {
  const found: string[] = [];
  for (const { where, metrics, labels } of used) {
    const matched = metrics.map((name) => [name, familyOf(name, families)] as const);
    for (const [name, family] of matched) if (!family) found.push(`${where}: ${name} is not exported`);
    // Labels can only be checked on families that have samples (a labelled counter never incremented has none).
    const sampled = matched.flatMap(([, family]) => (family && family.samples > 0 ? [family] : []));
    if (sampled.length === 0) continue;
    const known = new Set(sampled.flatMap((family) => [...family.labels]));
    for (const label of labels) if (!known.has(label)) found.push(`${where}: no series of ${metrics.join(', ')} has the label ${label}`);
  }
  return found;
}

describe('the PromQL reader', () => {
  it('finds metric and label names and leaves out functions, keywords, variables, literals and durations', () => {
    expect(
      parsePromql('histogram_quantile(0.99, sum by (event, le) (rate(tavern_handler_duration_seconds_bucket{node=~"$node", event!="a{b}"}[$__rate_interval])))'),
    ).toEqual({ metrics: ['tavern_handler_duration_seconds_bucket'], labels: ['node', 'event', 'le'] });
    expect(parsePromql('sum(rate(a_sum[5m] offset 1h)) / on (node) group_left sum(rate(a_count{x="1"}[5m])) > bool 0 and b_total unless c:recorded')).toEqual({
      metrics: ['a_sum', 'a_count', 'b_total', 'c:recorded'],
      labels: ['x', 'node'],
    });
    expect(parseLabelValues('label_values(tavern_connections, node)')).toEqual({ metrics: ['tavern_connections'], labels: ['node'] });
  });

  it('reports a metric the server does not export and a label its series lack', () => {
    const families = exportedFamilies(
      [
        '# HELP tavern_events_total e',
        '# TYPE tavern_events_total counter',
        'tavern_events_total{event="x",outcome="ok"} 1',
        '# HELP tavern_handler_duration_seconds h',
        '# TYPE tavern_handler_duration_seconds histogram',
        'tavern_handler_duration_seconds_bucket{le="0.5",event="x"} 1',
        'tavern_handler_duration_seconds_bucket{le="+Inf",event="x"} 1',
        'tavern_handler_duration_seconds_sum{event="x"} 0.1',
        'tavern_handler_duration_seconds_count{event="x"} 1',
        '# HELP tavern_redis_up r',
        '# TYPE tavern_redis_up gauge',
        'tavern_redis_up 1',
        '',
      ].join('\n'),
    );
    const use = (expr: string): Usage[] => [{ where: 'test', ...parsePromql(expr) }];
    expect(problems(use('sum by (outcome) (rate(tavern_events_total[1m]))'), families)).toEqual([]);
    expect(problems(use('histogram_quantile(0.9, sum by (event, le) (rate(tavern_handler_duration_seconds_bucket[1m])))'), families)).toEqual([]);
    expect(problems(use('rate(tavern_handler_duration_seconds_bucket[1m]) + tavern_handler_duration_seconds_count + tavern_events'), families)).toEqual([]);
    expect(problems(use('sum(rate(tavern_event_total[1m]))'), families)).toEqual(['test: tavern_event_total is not exported']);
    expect(problems(use('tavern_redis_up_bucket'), families)).toEqual(['test: tavern_redis_up_bucket is not exported']);
    expect(problems(use('sum by (code) (rate(tavern_events_total[1m]))'), families)).toEqual(['test: no series of tavern_events_total has the label code']);
  });
});

describe('deploy/grafana/tavern.json', () => {
  it('takes its Prometheus from a datasource variable, in every panel', () => {
    const variable = dashboard.templating.list.find((entry) => entry.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const panels = panelsOf(dashboard.panels).filter((panel) => panel.type !== 'row');
    expect(panels.length).toBeGreaterThan(20);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(parsePromql(target.expr ?? '').metrics.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
    }
    const ids = panelsOf(dashboard.panels).map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  describe('against a real server', () => {
    const sockets: Socket[] = [];
    afterEach(() => {
      for (const socket of sockets.splice(0)) socket.disconnect();
    });

    function connect(node: ServerProcess, token: string): Socket {
      const socket = io(node.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token, v: PROTOCOL_VERSION } });
      sockets.push(socket);
      return socket;
    }

    it('exports every metric and label its queries use, after traffic that makes the labelled series', async () => {
      await using redis = await startRedis();
      // The studio's audit hook, so that tavern_hook_calls_total has series.
      const audited: string[] = [];
      const hook = createServer((request, response) => {
        request.resume();
        request.once('end', () => {
          audited.push(request.url ?? '');
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
      await using _hook = { [Symbol.asyncDispose]: () => new Promise<void>((resolve) => hook.close(() => resolve())) };
      // Production, as operators run it: the Node.js process metrics are collected too.
      await using node = await startServerProcess({
        NODE_ENV: 'production',
        REDIS_URL: redis.url,
        MAX_SOCKETS_PER_USER: '1',
        RATE_LIMITS: JSON.stringify({ 'time:sync': { ratePerSec: 0.01, burst: 1 } }),
        HOOK_COMMAND_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/audit`,
      });

      const alice = connect(node, await node.token('alice'));
      await new Promise((resolve, reject) => {
        alice.once('session:ready', resolve);
        alice.once('connect_error', reject);
      });
      const ack = (event: string, payload: unknown) => alice.timeout(5_000).emitWithAck(event, payload) as Promise<{ ok: boolean; error?: { code: string } }>;
      expect(await ack('time:sync', { clientTime: 1 })).toMatchObject({ ok: true });
      expect(await ack('time:sync', { clientTime: 2 })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      expect(await ack('presence:set', { status: 'sideways' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      // A second socket for alice passes the cap of one.
      const second = connect(node, await node.token('alice'));
      const refusal = await new Promise<{ code?: string }>((resolve) => {
        second.once('connect_error', (error) => resolve((error as Error & { data: { code: string } }).data));
      });
      expect(refusal.code).toBe('LIMIT_EXCEEDED');
      await vi.waitFor(() => expect(audited.length).toBeGreaterThan(0), { timeout: 5_000 });

      const response = await fetch(`${node.url}/metrics`);
      expect(response.status).toBe(200);
      const families = exportedFamilies(await response.text());
      // The traffic above made the labelled series the label check needs.
      for (const name of ['tavern_events_total', 'tavern_acks_total', 'tavern_rate_limited_total', 'tavern_cap_refusals_total', 'tavern_handshakes_total', 'tavern_hook_calls_total', 'tavern_handler_duration_seconds', 'process_cpu_seconds_total']) {
        expect(families.get(name)?.samples, name).toBeGreaterThan(0);
      }

      const used = usages();
      expect(used.flatMap((usage) => usage.metrics).length).toBeGreaterThan(30);
      expect(problems(used, families)).toEqual([]);
    });
  });
});
