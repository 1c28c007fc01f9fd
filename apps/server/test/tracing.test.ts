/**
 * OpenTelemetry tracing against a real OTLP/HTTP receiver: a node:http server in this file
 * that accepts POST /v1/traces (the exporter's JSON encoding) and keeps every span it gets.
 */
import { createClient, type TavernClient } from '@tavern/client-sdk';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { io } from 'socket.io-client';
import { tracingTo, type TracingConfig } from '../src/config.js';
import { EnvError, loadConfig } from '../src/env.js';
import { startRedis } from './support/start-redis.js';
import { startServerProcess } from './support/start-server-process.js';
import { clusterConfig, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

interface ReceivedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  resource: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpRequest {
  resourceSpans: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans: {
      spans: {
        name: string;
        kind: number;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        startTimeUnixNano: string | number;
        endTimeUnixNano: string | number;
        attributes?: OtlpAttribute[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

function attributesOf(list: OtlpAttribute[] = []): Record<string, unknown> {
  const value = ({ stringValue, intValue, doubleValue, boolValue }: OtlpValue) => stringValue ?? (intValue !== undefined ? Number(intValue) : (doubleValue ?? boolValue));
  return Object.fromEntries(list.map((attribute) => [attribute.key, value(attribute.value)]));
}

/** A real OTLP/HTTP endpoint on 127.0.0.1:0. */
async function startReceiver() {
  const spans: ReceivedSpan[] = [];
  const problems: string[] = [];
  /** The headers of every export request. */
  const headers: IncomingMessage['headers'][] = [];
  const read = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server = createServer((request, response) => {
    void read(request).then((body) => {
      if (request.method !== 'POST' || request.url !== '/v1/traces' || !request.headers['content-type']?.startsWith('application/json')) {
        problems.push(`${request.method} ${request.url} ${request.headers['content-type']}`);
        response.writeHead(404).end();
        return;
      }
      headers.push(request.headers);
      const parsed = JSON.parse(body) as OtlpRequest;
      for (const { resource, scopeSpans } of parsed.resourceSpans) {
        for (const span of scopeSpans.flatMap((scope) => scope.spans)) {
          spans.push({
            name: span.name,
            kind: span.kind,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            startNs: BigInt(span.startTimeUnixNano),
            endNs: BigInt(span.endTimeUnixNano),
            attributes: attributesOf(span.attributes),
            status: span.status ?? {},
            resource: attributesOf(resource?.attributes),
          });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    problems,
    headers,
    /** Event spans of `event` (by the `tavern.event` attribute), waiting until `count` have arrived. */
    async eventSpans(event: string, count = 1): Promise<ReceivedSpan[]> {
      return vi.waitFor(
        () => {
          const found = spans.filter((span) => span.attributes['tavern.event'] === event);
          if (found.length < count) throw new Error(`${found.length} of ${count} ${event} spans so far`);
          // Batches may arrive in any order; events are compared in the order they started.
          return found.sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
        },
        { timeout: 5_000, interval: 20 },
      );
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** The server exporting to `receiver` every 20 ms. */
function tracing(receiver: Receiver, overrides: Partial<TracingConfig> = {}): TracingConfig {
  return tracingTo(receiver.endpoint, { serviceName: 'tavern-test', exportDelayMs: 20, ...overrides });
}

/** `emit` with any arguments, as a client in another language could send them. */
function emitRaw(socket: ClientSocket, event: string, ...args: unknown[]): Promise<{ ok: boolean; error?: { code: string } }> {
  return new Promise((resolve) => (socket as unknown as { emit(...values: unknown[]): void }).emit(event, ...args, resolve));
}

function newTraceparent(sampled = true) {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}` };
}

const MS = 1_000_000n;
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

describe('tracing', () => {
  it('exports a span per client event with its event, outcome code, user, socket and duration: OK, INVALID_PAYLOAD, RATE_LIMITED', async () => {
    await using receiver = await startReceiver();
    await using server = await startTestServer({
      config: { nodeId: 'trace-node', tracing: tracing(receiver), limits: { rateLimits: { 'time:sync': { ratePerSec: 0.01, burst: 2 } } } },
    });
    const alice = await server.connect('alice');

    expect(await emitRaw(alice, 'time:sync', { clientTime: 'noon' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await emitRaw(alice, 'time:sync', { clientTime: 1 })).toMatchObject({ ok: true });
    expect(await emitRaw(alice, 'time:sync', { clientTime: 2 })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });

    const spans = await receiver.eventSpans('time:sync', 3);
    expect(spans.map((span) => span.attributes['tavern.outcome'])).toEqual(['INVALID_PAYLOAD', 'OK', 'RATE_LIMITED']);
    for (const span of spans) {
      expect(span).toMatchObject({ name: 'time:sync', kind: SERVER, parentSpanId: '' });
      expect(span.attributes).toMatchObject({ 'user.id': 'alice', 'tavern.socket.id': alice.id });
      expect(span.endNs).toBeGreaterThan(span.startNs);
      expect(span.resource).toMatchObject({ 'service.name': 'tavern-test', 'service.instance.id': 'trace-node' });
      // A client's refusal is not the server's fault.
      expect(span.status.code ?? 0).not.toBe(ERROR);
    }
    expect(receiver.problems).toEqual([]);
  });

  it('names the span of an event no feature serves "unknown", and traces a refused signal with its code', async () => {
    await using receiver = await startReceiver();
    await using server = await startTestServer({ config: { tracing: tracing(receiver) } });
    const bob = await server.connect('bob');

    expect(await emitRaw(bob, 'nope:whatever', {})).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    const refused = new Promise((resolve) => bob.once('error', resolve));
    (bob as unknown as { emit(event: string, payload: unknown): void }).emit('chat:typing', { channelId: 42 });
    await refused;

    const [unknown] = await receiver.eventSpans('nope:whatever');
    expect(unknown).toMatchObject({ name: 'unknown', attributes: { 'tavern.outcome': 'INVALID_PAYLOAD', 'user.id': 'bob' } });
    const [typing] = await receiver.eventSpans('chat:typing');
    expect(typing).toMatchObject({ name: 'chat:typing', attributes: { 'tavern.outcome': 'INVALID_PAYLOAD' } });
  });

  it("makes the span a child of the client's traceparent, and ignores a malformed one", async () => {
    await using receiver = await startReceiver();
    await using server = await startTestServer({ config: { tracing: tracing(receiver) } });
    const carol = await server.connect('carol');

    const parent = newTraceparent();
    expect(await emitRaw(carol, 'time:sync', { clientTime: 1 }, { traceparent: parent.traceparent, tracestate: 'vendor=x' })).toMatchObject({ ok: true });
    const [child] = await receiver.eventSpans('time:sync');
    expect(child).toMatchObject({ traceId: parent.traceId, parentSpanId: parent.spanId, attributes: { 'tavern.outcome': 'OK' } });

    const malformed: unknown[] = [
      { traceparent: 'garbage' },
      { traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` },
      { traceparent: `00-${'a'.repeat(32)}-${'0'.repeat(16)}-01` },
      { traceparent: `00-${'A'.repeat(32)}-${'1'.repeat(16)}-01` },
      { traceparent: `${parent.traceparent}${'x'.repeat(200)}` },
      { traceparent: 7 },
      { traceparent: { toString: 'x' } },
      parent.traceparent,
      [parent.traceparent],
      null,
    ];
    for (const carrier of malformed) {
      expect(await emitRaw(carol, 'time:sync', { clientTime: 2 }, carrier)).toMatchObject({ ok: true });
    }
    const spans = await receiver.eventSpans('time:sync', 1 + malformed.length);
    for (const span of spans.slice(1)) {
      expect(span.parentSpanId).toBe('');
      expect(span.traceId).not.toBe(parent.traceId);
      expect(span.attributes['tavern.outcome']).toBe('OK');
    }
  });

  it("follows the client's decision not to sample", async () => {
    await using receiver = await startReceiver();
    await using server = await startTestServer({ config: { tracing: tracing(receiver) } });
    const dave = await server.connect('dave');

    const unsampled = newTraceparent(false);
    expect(await emitRaw(dave, 'time:sync', { clientTime: 1 }, { traceparent: unsampled.traceparent })).toMatchObject({ ok: true });
    expect(await emitRaw(dave, 'time:sync', { clientTime: 2 })).toMatchObject({ ok: true });
    // The second span arrives; the first, unsampled, never does.
    const [only] = await receiver.eventSpans('time:sync');
    await server.close();
    expect(receiver.spans.filter((span) => span.attributes['tavern.event'] === 'time:sync')).toEqual([only]);
    expect(only?.traceId).not.toBe(unsampled.traceId);
  });

  it('exports what is still queued when the server shuts down gracefully', async () => {
    await using receiver = await startReceiver();
    const server = await startTestServer({ config: { tracing: tracing(receiver, { exportDelayMs: 600_000 }) } });
    const erin = await server.connect('erin');
    expect(await emitRaw(erin, 'time:sync', { clientTime: 1 })).toMatchObject({ ok: true });
    expect(receiver.spans).toEqual([]);

    await server.close();
    // No waiting: shutdown resolved after the receiver had the span.
    expect(receiver.spans.map((span) => [span.name, span.attributes['tavern.outcome']])).toContainEqual(['time:sync', 'OK']);
  });

  describe('configured by the standard OTEL_* variables', () => {
    it('a server process exports spans to OTEL_EXPORTER_OTLP_ENDPOINT with its headers, and SIGTERM flushes them', async () => {
      await using receiver = await startReceiver();
      await using node = await startServerProcess({
        OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.endpoint}/`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s%20cret, x-team=tavern',
        OTEL_SERVICE_NAME: 'tavern-process',
        NODE_ID: 'proc-1',
        // Nothing is exported before the shutdown: the spans below arrive because SIGTERM flushes them.
        OTEL_BSP_SCHEDULE_DELAY: '600000',
      });
      const socket = io(node.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: await node.token('lena') } });
      try {
        await new Promise((resolve, reject) => {
          socket.once('session:ready', resolve);
          socket.once('connect_error', reject);
        });
        expect(await socket.timeout(5_000).emitWithAck('time:sync', { clientTime: 1 })).toMatchObject({ ok: true });
      } finally {
        socket.disconnect();
      }
      expect(receiver.spans).toEqual([]);

      node.kill('SIGTERM');
      expect(await node.exited).toBe(0);
      const [span] = receiver.spans.filter((candidate) => candidate.attributes['tavern.event'] === 'time:sync');
      expect(span).toMatchObject({ resource: { 'service.name': 'tavern-process', 'service.instance.id': 'proc-1' }, attributes: { 'user.id': 'lena' } });
      expect(receiver.headers[0]).toMatchObject({ 'x-api-key': 's cret', 'x-team': 'tavern' });
      expect(receiver.problems).toEqual([]);
    });

    it('is off without OTEL_EXPORTER_OTLP_ENDPOINT, and a bad value names its variable', () => {
      expect(loadConfig({}).tracing).toBeNull();
      expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).tracing).toEqual(
        tracingTo('http://collector:4318', { sampler: 'parentbased_traceidratio', sampleRatio: 0.25 }),
      );
      const refused = (env: Record<string, string>) => {
        try {
          loadConfig(env);
        } catch (error) {
          if (error instanceof EnvError) return error.problems.join('\n');
          throw error;
        }
        throw new Error(`accepted ${JSON.stringify(env)}`);
      };
      expect(refused({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT: /);
      expect(refused({ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' })).toMatch(/^OTEL_EXPORTER_OTLP_HEADERS: expected key=value/);
      expect(refused({ OTEL_EXPORTER_OTLP_HEADERS: 'k=%zz' })).toMatch(/^OTEL_EXPORTER_OTLP_HEADERS: the value of k/);
      expect(refused({ OTEL_TRACES_SAMPLER: 'sometimes' })).toMatch(/^OTEL_TRACES_SAMPLER: /);
      expect(refused({ OTEL_TRACES_SAMPLER_ARG: '2' })).toMatch(/^OTEL_TRACES_SAMPLER_ARG: /);
      expect(refused({ OTEL_TRACES_SAMPLER_ARG: 'half' })).toMatch(/^OTEL_TRACES_SAMPLER_ARG: must be a number/);
    });
  });

  describe('with Redis', () => {
    it("records a span per Redis store operation, a child of the event's span", async () => {
      await using redis = await startRedis();
      await using receiver = await startReceiver();
      await using server = await startTestServer({ config: { ...clusterConfig(redis.url), tracing: tracing(receiver) } });
      const frank = await server.connect('frank');

      expect(await emitRaw(frank, 'chat:block', { userId: 'mallory' })).toMatchObject({ ok: true });
      const [event] = await receiver.eventSpans('chat:block');
      const children = await vi.waitFor(() => {
        const found = receiver.spans.filter((span) => span.name === 'redis' && span.parentSpanId === event?.spanId);
        if (found.length === 0) throw new Error('no redis span under chat:block yet');
        return found;
      });
      for (const span of children) {
        expect(span).toMatchObject({
          traceId: event?.traceId,
          kind: CLIENT,
          attributes: { 'db.system.name': 'redis', 'server.address': '127.0.0.1', 'server.port': redis.port },
        });
        // Within the event's span. OpenTelemetry anchors each span's clock on Date.now(), so two
        // spans' times may disagree by up to a millisecond.
        expect(span.startNs).toBeGreaterThanOrEqual((event?.startNs ?? 0n) - MS);
        expect(span.endNs).toBeLessThanOrEqual((event?.endNs ?? 0n) + MS);
      }
      // Store work outside any event (heartbeats, sweeps) starts no traces of its own.
      expect(receiver.spans.filter((span) => span.name === 'redis' && span.parentSpanId === '')).toEqual([]);
    });

    it('marks the event and its Redis span as errors when Redis fails mid-operation', async () => {
      await using redis = await startRedis();
      await using receiver = await startReceiver();
      await using server = await startTestServer({ config: { ...clusterConfig(redis.url), tracing: tracing(receiver) } });
      const gina = await server.connect('gina');

      redis.freeze();
      try {
        expect(await emitRaw(gina, 'chat:block', { userId: 'mallory' })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      } finally {
        redis.thaw();
      }
      const [event] = await receiver.eventSpans('chat:block');
      expect(event).toMatchObject({ attributes: { 'tavern.outcome': 'UNAVAILABLE' }, status: { code: ERROR } });
      const redisSpan = await vi.waitFor(() => {
        const found = receiver.spans.find((span) => span.name === 'redis' && span.parentSpanId === event?.spanId);
        if (!found) throw new Error('no redis span yet');
        return found;
      });
      expect(redisSpan.status.code).toBe(ERROR);
    });
  });

  describe("the SDK's traceContext option", () => {
    const clients: TavernClient[] = [];
    afterEach(() => {
      for (const client of clients.splice(0)) client.close();
    });

    /** Connects a client for `userId` and resolves once it has its session. */
    async function connected(server: TestServer, userId: string, traceContext?: () => string | undefined): Promise<TavernClient> {
      const client = createClient({
        url: server.url,
        getToken: () => server.token(userId),
        socketOptions: { transports: ['websocket'] },
        ...(traceContext && { traceContext }),
      });
      clients.push(client);
      await new Promise<void>((resolve) => {
        if (client.state === 'connected') resolve();
        const stop = client.onStateChange((state) => {
          if (state !== 'connected') return;
          stop();
          resolve();
        });
      });
      return client;
    }

    /** The arguments (ack excluded) each `time:sync` arrives with on the server. */
    function argumentsSeen(server: TestServer): unknown[][] {
      const seen: unknown[][] = [];
      server.tavern.io.on('connection', (socket) => {
        socket.onAny((event: string, ...args: unknown[]) => {
          if (event === 'time:sync') seen.push(args.filter((arg) => typeof arg !== 'function'));
        });
      });
      return seen;
    }

    it('sends the traceparent it returns with each request, and the server span becomes its child', async () => {
      await using receiver = await startReceiver();
      await using server = await startTestServer({ config: { tracing: tracing(receiver) } });
      const seen = argumentsSeen(server);
      const parent = newTraceparent();
      let current: string | undefined = parent.traceparent;
      const client = await connected(server, 'hana', () => current);

      expect(await client.request('time:sync', { clientTime: 1 })).toMatchObject({ ok: true });
      current = undefined;
      expect(await client.request('time:sync', { clientTime: 2 })).toMatchObject({ ok: true });

      const [traced, untraced] = await receiver.eventSpans('time:sync', 2);
      expect(traced).toMatchObject({ traceId: parent.traceId, parentSpanId: parent.spanId });
      expect(untraced?.parentSpanId).toBe('');
      expect(seen).toEqual([[{ clientTime: 1 }, { traceparent: parent.traceparent }], [{ clientTime: 2 }]]);
    });

    it('keeps the traceparent of a request made while offline until it is sent', async () => {
      await using receiver = await startReceiver();
      await using server = await startTestServer({ config: { tracing: tracing(receiver) } });
      const parent = newTraceparent();
      let current: string | undefined = parent.traceparent;
      const client = createClient({ url: server.url, getToken: () => server.token('ivan'), socketOptions: { transports: ['websocket'] }, autoConnect: false, traceContext: () => current });
      clients.push(client);

      const queued = client.request('time:sync', { clientTime: 1 });
      current = newTraceparent().traceparent;
      client.connect();
      expect(await queued).toMatchObject({ ok: true });
      const [span] = await receiver.eventSpans('time:sync');
      expect(span).toMatchObject({ traceId: parent.traceId, parentSpanId: parent.spanId });
    });

    it('sends events exactly as before without the option, or when it throws', async () => {
      await using server = await startTestServer();
      const seen = argumentsSeen(server);
      const plain = await connected(server, 'judy');
      const failing = await connected(server, 'kim', () => {
        throw new Error('no tracer here');
      });

      expect(await plain.request('time:sync', { clientTime: 1 })).toMatchObject({ ok: true });
      expect(await failing.request('time:sync', { clientTime: 2 })).toMatchObject({ ok: true });
      expect(seen).toEqual([[{ clientTime: 1 }], [{ clientTime: 2 }]]);
    });
  });
});
