/**
 * Scenario 6: soak. One Tavern process with its production rate limits, P clients in C chat
 * channels: every second some clients hang up and reconnect (and rejoin), and chat messages
 * go out at a steady rate from random clients. RSS (/proc) and V8 heap (`/metrics`) are
 * sampled every 10 s. A warm-up runs the same load until every channel's retained history
 * is full (a bounded store still filling is growth by design, not a leak); then the measured
 * window of D minutes.
 *
 * Passes when there were 0 errors (failed handshakes, refused or unanswered sends, `error`
 * events, connections the server closed) and neither RSS nor heap trends upwards: the
 * least-squares slope over the samples after the warm-up, times the window, stays within
 * the noise (max of 3 × the residuals' standard deviation, 5% of the mean, 4 MB).
 */
import { mergeTally, tallyTotal, type ClientSpec, type SoakResult } from '../load/commands.js';
import { collectStats, Worker } from '../load/workers.js';
import { startTavern } from '../processes/servers.js';
import type { ScenarioResult } from '../results.js';
import { assertAlive, describeErrors, fitConnections, joinAll, memberSpec, notRun, openChannels, requireConnected, round, SECRET, SkipScenario, sleep, type SuiteContext } from './common.js';

const MB = 1024 * 1024;

export interface Sample {
  atSec: number;
  rssMb: number;
  heapMb: number;
  openClients: number;
}

export interface Trend {
  /** MB over the measured window, from the fitted slope. */
  growthMb: number;
  allowedMb: number;
  flat: boolean;
  samples: number;
}

/** Fits a line to (t, v) after the warm-up and compares its rise over the window with the noise. */
export function trend(points: readonly { t: number; v: number }[]): Trend {
  const n = points.length;
  if (n < 3) return { growthMb: 0, allowedMb: 0, flat: true, samples: n };
  const meanT = points.reduce((sum, point) => sum + point.t, 0) / n;
  const meanV = points.reduce((sum, point) => sum + point.v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const point of points) {
    sxy += (point.t - meanT) * (point.v - meanV);
    sxx += (point.t - meanT) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const residuals = points.map((point) => point.v - (meanV + slope * (point.t - meanT)));
  const sd = Math.sqrt(residuals.reduce((sum, residual) => sum + residual ** 2, 0) / Math.max(1, n - 2));
  const span = (points[n - 1] as { t: number }).t - (points[0] as { t: number }).t;
  const growth = slope * span;
  const allowed = Math.max(3 * sd, 0.05 * meanV, 4);
  return { growthMb: round(growth, 2), allowedMb: round(allowed, 2), flat: growth <= allowed, samples: n };
}

export async function runSoak(ctx: SuiteContext): Promise<ScenarioResult> {
  const id = 'soak';
  const title = '6. Soak: connection churn and chat';
  const { soak, requestTimeoutMs } = ctx.options;
  const notes: string[] = [];
  if (!ctx.targets.includes('tavern')) return notRun(id, title, new SkipScenario('Tavern is not among --targets'));
  try {
    await using setup = Worker.start('setup', ctx.layout.load);
    await using worker = Worker.start('clients', ctx.layout.load);
    await using server = await startTavern({ cpus: ctx.layout.server, env: ctx.options.tavernEnv, defaultLimits: true, allowSource: ctx.options.allowSource, profileDir: ctx.options.profileDir });
    requireConnected(
      'soak set-up client',
      await setup.call('connect', { clients: [{ userId: 'soak-setup', url: server.url, guilds: ['soak-0'] }], secret: SECRET, concurrency: 1, timeoutMs: requestTimeoutMs }),
      1,
    );
    const clients = fitConnections(ctx, soak.clients, 'soak');
    let chat = true;
    let specs: ClientSpec[];
    try {
      const channels = await openChannels(ctx, setup, 'soak-', soak.channels, server.label);
      specs = Array.from({ length: clients }, (_, index) => memberSpec(`soak-u${index}`, server.url, channels, index % soak.channels));
    } catch (error) {
      if (!(error instanceof SkipScenario)) throw error;
      chat = false;
      const note = `chat is not served (${error.message}): the soak runs connection churn only`;
      ctx.warn(note);
      notes.push(note);
      specs = Array.from({ length: clients }, (_, index) => ({ userId: `soak-u${index}`, url: server.url }));
    }
    await setup.call('closeAll', {});
    requireConnected('soak clients', await worker.call('connect', { clients: specs, secret: SECRET, concurrency: 50, timeoutMs: requestTimeoutMs }), specs.length);
    if (chat) await joinAll(ctx, worker, specs.length, server.label);
    await worker.call('reset', {});

    const started = performance.now();
    const totalMs = soak.warmupMs + soak.durationMs;
    const running = worker.call('soak', {
      durationMs: totalMs,
      churnPerSec: soak.churnPerSec,
      chatPerSec: chat ? soak.chatPerSec : 0,
      secret: SECRET,
      timeoutMs: requestTimeoutMs,
    });
    let finished: SoakResult | null = null;
    void running.then((result) => (finished = result), () => undefined);
    const samples: Sample[] = [];
    const sample = async () => {
      assertAlive(server);
      const stats = await worker.call('stats', {});
      const heap = await server.heapUsed();
      samples.push({
        atSec: round((performance.now() - started) / 1000, 1),
        rssMb: round(server.rss() / MB),
        heapMb: round(heap / MB),
        openClients: stats.openClients,
      });
      const last = samples.at(-1) as Sample;
      ctx.log(`    ${last.atSec} s: RSS ${last.rssMb} MB, heap ${last.heapMb} MB, ${last.openClients} clients`);
    };
    await sample();
    while (finished === null && performance.now() - started < totalMs) {
      await sleep(Math.min(soak.sampleMs, Math.max(0, totalMs - (performance.now() - started))));
      await sample();
    }
    const result = await running;
    assertAlive(server);
    const stats = await collectStats([worker]);
    mergeTally(result.errors, stats.errors);
    const errors = tallyTotal(result.errors) + result.unacked + result.reconnectFailures;

    const measured = samples.filter((entry) => entry.atSec * 1000 >= soak.warmupMs);
    const rss = trend(measured.map((entry) => ({ t: entry.atSec, v: entry.rssMb })));
    const heap = trend(measured.map((entry) => ({ t: entry.atSec, v: entry.heapMb })));
    const passed = errors === 0 && rss.flat && heap.flat;
    ctx.log(
      `    ${result.reconnects} reconnects, ${result.acked}/${result.sent} messages acked, errors ${describeErrors(result.errors)}; RSS growth ${rss.growthMb} MB (allowed ${rss.allowedMb}), heap growth ${heap.growthMb} MB (allowed ${heap.allowedMb}) -> ${passed ? 'pass' : 'FAIL'}`,
    );
    const value = (name: string, unit: string, number: number) => ({
      name,
      unit,
      value: number,
      baseline: null,
      baselineLabel: '',
      valueLabel: 'Tavern',
      ratio: null,
      goal: null,
      met: null,
    });
    const figures = [
      value('errors', '', errors),
      { ...value('RSS growth over the window (fitted)', 'MB', rss.growthMb), goal: { text: `≤ ${rss.allowedMb} MB (noise)`, on: 'value' as const, op: '<=' as const, limit: rss.allowedMb }, met: rss.flat },
      { ...value('heap growth over the window (fitted)', 'MB', heap.growthMb), goal: { text: `≤ ${heap.allowedMb} MB (noise)`, on: 'value' as const, op: '<=' as const, limit: heap.allowedMb }, met: heap.flat },
      value('reconnects', '', result.reconnects),
      value('chat messages acked', '', result.acked),
    ];
    figures[0] = { ...(figures[0] as ReturnType<typeof value>), goal: { text: '0', on: 'value', op: '<=', limit: 0 }, met: errors === 0 };
    if (errors > 0) notes.push(`errors: ${describeErrors(result.errors)}; ${result.unacked} unacked; ${result.reconnectFailures} failed reconnects`);
    return {
      id,
      title,
      status: 'ok',
      figures,
      notes,
      runs: [{ minutes: round(soak.durationMs / 60_000, 2), warmupMinutes: round(soak.warmupMs / 60_000, 2), chat, result, samples, rss, heap, passed }],
    };
  } catch (error) {
    return notRun(id, title, error);
  }
}
