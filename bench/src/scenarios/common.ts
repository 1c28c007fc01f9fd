/** What every scenario shares: the run context, server start-up, channel set-up, skips. */
import type { ClientSpec, ConnectResult, ErrorTally } from '../load/commands.js';
import { tallyTotal } from '../load/commands.js';
import type { Worker } from '../load/workers.js';
import { connectionBudget, type CoreLayout, type Machine } from '../machine.js';
import type { SuiteOptions } from '../options.js';
import { BENCH_JWT_SECRET, startRaw, startTavern, type ServerHandle, type TargetKind } from '../processes/servers.js';
import type { ChartSeries, ScenarioResult } from '../results.js';

export interface SuiteContext {
  options: SuiteOptions;
  machine: Machine;
  layout: CoreLayout;
  log(message: string): void;
  warn(message: string): void;
  /** The servers measured, in this order within each repeat (default Tavern, then raw). */
  targets: readonly TargetKind[];
  /** Series for the latency-against-send-rate chart. */
  chart: ChartSeries[];
}

export const SECRET = BENCH_JWT_SECRET;

/** A scenario cannot run on this build: the server answers UNAVAILABLE for an event it needs. */
export class SkipScenario extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipScenario';
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function startTarget(ctx: SuiteContext, kind: TargetKind, cpus = ctx.layout.server): Promise<ServerHandle> {
  return kind === 'tavern'
    ? startTavern({ cpus, env: ctx.options.tavernEnv, allowSource: ctx.options.allowSource, profileDir: ctx.options.profileDir })
    : startRaw({ cpus, profileDir: ctx.options.profileDir });
}

/** Fails loudly when a server process died during a measurement. */
export function assertAlive(server: ServerHandle): void {
  if (!server.alive()) throw new Error(`${server.label} exited during the run:\n${server.output().slice(-3000)}`);
}

export function describeErrors(errors: ErrorTally): string {
  const total = tallyTotal(errors);
  if (total === 0) return 'none';
  const counts = Object.entries(errors.counts)
    .map(([code, count]) => `${code} ×${count}`)
    .join(', ');
  return `${counts} (${errors.samples.slice(0, 2).join(' | ')})`;
}

export function requireConnected(what: string, result: ConnectResult, expected: number): void {
  if (result.connected !== expected) {
    throw new Error(`${what}: ${result.connected}/${expected} connected; errors: ${describeErrors(result.errors)}`);
  }
}

export interface Channels {
  /** The channel ids, one per requested channel. */
  channelIds: string[];
  /** The `guilds` claim a member of channel i needs (guild channels), else undefined. */
  guildsFor(index: number): string[] | undefined;
  kind: 'guild' | 'room';
}

/**
 * Finds channels every bench client may join and send to. Guild channels first (`guild:<id>`
 * with the id in the token's `guilds` claim, no set-up needed on any node); when the server
 * refuses those, public rooms made with `chat:create`. The worker's client 0 must already be
 * connected with `guilds: [<prefix>0]`.
 *
 * Throws `SkipScenario` when the server answers UNAVAILABLE: the chat feature is not built in.
 */
export async function openChannels(ctx: SuiteContext, worker: Worker, prefix: string, count: number, label: string): Promise<Channels> {
  const timeoutMs = ctx.options.requestTimeoutMs;
  const joined = await worker.call('requestAll', {
    event: 'chat:join',
    payload: { kind: 'same', value: { channelId: `guild:${prefix}0`, historyLimit: 0 } },
    concurrency: 1,
    timeoutMs,
  });
  if (joined.ok === 1) {
    return {
      kind: 'guild',
      channelIds: Array.from({ length: count }, (_, index) => `guild:${prefix}${index}`),
      guildsFor: (index) => [`${prefix}${index}`],
    };
  }
  if (joined.errors.counts['UNAVAILABLE']) {
    throw new SkipScenario(`${label} answers chat:join with UNAVAILABLE (${joined.errors.samples[0] ?? ''}): the chat feature is not in this build`);
  }
  ctx.log(`  ${label} refused a guild channel (${describeErrors(joined.errors)}); using public rooms from chat:create`);
  const created = await worker.call('createRooms', { client: 0, count, namePrefix: `bench ${prefix}`, timeoutMs });
  if (created.channelIds.length !== count) {
    if (created.errors.counts['UNAVAILABLE']) {
      throw new SkipScenario(`${label} answers chat:create with UNAVAILABLE (${created.errors.samples[0] ?? ''})`);
    }
    throw new Error(`${label}: could not make ${count} chat rooms: ${describeErrors(created.errors)}`);
  }
  return { kind: 'room', channelIds: created.channelIds, guildsFor: () => undefined };
}

/** Joins every client of a worker to its `channelId`; throws unless all of them got in. */
export async function joinAll(ctx: SuiteContext, worker: Worker, expected: number, label: string): Promise<number> {
  const joined = await worker.call('requestAll', {
    event: 'chat:join',
    payload: { kind: 'channel', extra: { historyLimit: 0 } },
    concurrency: 20,
    timeoutMs: ctx.options.requestTimeoutMs,
  });
  if (joined.ok !== expected) {
    if (joined.errors.counts['UNAVAILABLE']) throw new SkipScenario(`${label} answers chat:join with UNAVAILABLE (${joined.errors.samples[0] ?? ''})`);
    throw new Error(`${label}: ${joined.ok}/${expected} clients joined their channel: ${describeErrors(joined.errors)}`);
  }
  return joined.elapsedMs;
}

export function memberSpec(userId: string, url: string, channels: Channels, channel: number, extra: Partial<ClientSpec> = {}): ClientSpec {
  const guilds = channels.guildsFor(channel);
  return {
    userId,
    url,
    channelId: channels.channelIds[channel],
    ...(guilds !== undefined && { guilds }),
    ...extra,
  };
}

/** A scenario's result when it was skipped or failed before any figure. */
export function notRun(id: string, title: string, error: unknown): ScenarioResult {
  if (error instanceof SkipScenario) return { id, title, status: 'skipped', reason: error.message, figures: [], notes: [], runs: [] };
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { id, title, status: 'failed', reason: message, figures: [], notes: [], runs: [] };
}

/**
 * The number of connections a scenario may open at once under `ulimit -n` (every one is a
 * descriptor in the server and in a load worker): `wanted`, or less with a warning.
 */
export function fitConnections(ctx: SuiteContext, wanted: number, what: string): number {
  const budget = connectionBudget(ctx.machine);
  if (wanted <= budget) return wanted;
  ctx.warn(`${what}: ulimit -n is ${ctx.machine.openFiles}; ${wanted} connections scaled down to ${budget}`);
  return budget;
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
