/**
 * Preloaded into a server process (`node --import probe.js …`) by the seeds scenario, the
 * same way for Tavern and raw Socket.IO: what only the process itself can see, its event-loop
 * delay (`monitorEventLoopDelay`) and its GC pauses (`PerformanceObserver` 'gc' entries), with
 * its memory, one JSON line per interval appended to `BENCH_PROBE_FILE`. Does nothing without
 * that variable. The orchestrator reads the lines of a window (see `readProbe`).
 */
import { appendFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** One interval of a server process as the probe saw it. */
export interface ProbeSample {
  /** Epoch ms at the end of the interval. */
  t: number;
  eldMaxMs: number;
  eldP99Ms: number;
  eldMeanMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** Mark-compact (major) collections in the interval and the longest of them. */
  majorCount: number;
  majorMaxMs: number;
  rss: number;
  heapUsed: number;
  external: number;
}

const file = process.env['BENCH_PROBE_FILE'];
const intervalMs = Number(process.env['BENCH_PROBE_MS'] ?? 1_000);

if (file) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let gc = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.majorCount++;
        gc.majorMaxMs = Math.max(gc.majorMaxMs, entry.duration);
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const timer = setInterval(() => {
    const memory = process.memoryUsage();
    const sample: ProbeSample = {
      t: Date.now(),
      eldMaxMs: delay.max / 1e6,
      eldP99Ms: delay.percentile(99) / 1e6,
      eldMeanMs: delay.mean / 1e6,
      gcCount: gc.count,
      gcTotalMs: gc.totalMs,
      gcMaxMs: gc.maxMs,
      majorCount: gc.majorCount,
      majorMaxMs: gc.majorMaxMs,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
    };
    appendFileSync(file, `${JSON.stringify(sample)}\n`);
    delay.reset();
    gc = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 };
  }, intervalMs);
  timer.unref();
}
