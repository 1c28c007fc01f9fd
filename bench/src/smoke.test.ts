/**
 * The smoke run in CI: every scenario of the suite, seconds long, tiny sizes, real
 * processes. No figure is asserted (CI machines are noisy); what must hold is that each
 * scenario runs end to end, or is skipped because the server answers UNAVAILABLE for an
 * event it needs (a feature not in this build), and that the report is written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { smokeOptions } from './options.js';
import { runSuite, type SuiteOutput } from './suite.js';

describe('bench smoke run', () => {
  const options = smokeOptions();
  const log: string[] = [];
  let output: SuiteOutput;

  afterAll(() => {
    if (options.outDir) rmSync(options.outDir, { recursive: true, force: true });
  });

  it('runs every scenario end to end, or skips it only for an UNAVAILABLE event', async () => {
    options.outDir = mkdtempSync(join(tmpdir(), 'tavern-bench-smoke-'));
    output = await runSuite(options, { log: (line) => log.push(line), warn: (line) => log.push(`warning: ${line}`) });
    const { scenarios } = output.result;
    expect(scenarios.map((scenario) => scenario.id)).toEqual(options.scenarios);
    for (const scenario of scenarios) {
      // A failure message carries the stack and the server's last output.
      expect(scenario.status, `${scenario.title}: ${scenario.reason ?? ''}\n${log.join('\n')}`).not.toBe('failed');
      if (scenario.status === 'skipped') expect(scenario.reason).toMatch(/UNAVAILABLE/);
      else expect(scenario.figures.length).toBeGreaterThan(0);
    }
    // It starts some twenty server processes (six for scenario 5 alone), each compiling its
    // source on a loaded CI machine: the limit is for the whole suite, nothing else.
  }, 300_000);

  it('measures idle connections on both servers (it needs nothing but auth)', () => {
    const idle = output.result.scenarios.find((scenario) => scenario.id === 'idle');
    expect(idle?.status).toBe('ok');
    const runs = idle?.runs as { target: string; connected: number; handshakesPerSec: number; pacedCpuUsPerHandshake: number }[];
    expect(runs.map((run) => run.target)).toEqual(['tavern', 'raw']);
    for (const run of runs) {
      expect(run.connected).toBe(options.idle.sizes[0]);
      expect(run.handshakesPerSec).toBeGreaterThan(0);
      expect(run.pacedCpuUsPerHandshake).toBeGreaterThan(0);
    }
  });

  it('runs the ack path in a closed loop and then at a fixed rate, on both servers', () => {
    const ack = output.result.scenarios.find((scenario) => scenario.id === 'ack');
    if (ack?.status === 'skipped') return;
    const runs = ack?.runs as { target: string; ackedPerSec: number; pacedAckedPerSec: number }[];
    expect(runs.map((run) => run.target)).toEqual(['tavern', 'raw']);
    for (const run of runs) {
      expect(run.ackedPerSec).toBeGreaterThan(0);
      expect(run.pacedAckedPerSec).toBeGreaterThan(0);
    }
  });

  it('plays the game-room scenario on Tavern and on Colyseus, every bot seated and its inputs seen applied', () => {
    const rooms = output.result.scenarios.find((scenario) => scenario.id === 'rooms');
    expect(rooms?.status).toBe('ok');
    const runs = rooms?.runs as { system: string; rooms: number; playersPerRoom: number; inputsAppliedPerSec: number; bytesPerPlayerPerSec: number; latencyP99: number; dropped: number }[];
    expect(runs.map((run) => run.system)).toEqual(['tavern', 'colyseus']);
    for (const run of runs) {
      expect([run.rooms, run.playersPerRoom]).toEqual([options.rooms.configs[0]?.rooms, options.rooms.configs[0]?.players]);
      expect(run.inputsAppliedPerSec).toBeGreaterThan(0);
      expect(run.bytesPerPlayerPerSec).toBeGreaterThan(0);
      expect(run.latencyP99).toBeGreaterThan(0);
      expect(run.dropped).toBe(0);
    }
  });

  it('runs one, two and three nodes over one Redis and over a Redis Cluster, counting every redis-server', () => {
    const cluster = output.result.scenarios.find((scenario) => scenario.id === 'cluster');
    if (cluster?.status === 'skipped') return;
    const runs = cluster?.runs as { redis: string; nodes: number; cpuUsPerDelivery: number; redisProcesses: { role: string; pid: number }[] }[];
    const { masters, replicas } = options.cluster.shape;
    for (const kind of ['single', 'cluster']) {
      const of = runs.filter((run) => run.redis === kind);
      expect(of.map((run) => run.nodes).sort()).toEqual([1, 2, 3]);
      for (const run of of) {
        expect(run.cpuUsPerDelivery).toBeGreaterThan(0);
        const roles = run.redisProcesses.map((process) => process.role).sort();
        expect(roles).toEqual(kind === 'single' ? ['redis'] : [...Array<string>(masters).fill('master'), ...Array<string>(masters * replicas).fill('replica')]);
      }
    }
    expect(cluster?.tables?.map((table) => table.rows.length)).toEqual([3, 3]);
  });

  it('runs the seeds mix on both servers, timing every kind of event and reading each server probe', () => {
    const seeds = output.result.scenarios.find((scenario) => scenario.id === 'seeds');
    if (seeds?.status === 'skipped') return;
    const runs = seeds?.runs as { target: string; window: { latency: Record<string, { count: number }>; eldMaxMs: number; rssEndMb: number }; ramp: unknown[] }[];
    expect(runs.map((run) => run.target)).toEqual(['Tavern', 'raw Socket.IO']);
    for (const run of runs) {
      for (const kind of ['chat', 'ack', 'typing', 'presence', 'receipts']) expect(run.window.latency[kind]?.count, `${run.target} ${kind}`).toBeGreaterThan(0);
      expect(run.window.eldMaxMs).toBeGreaterThan(0);
      expect(run.window.rssEndMb).toBeGreaterThan(0);
      expect(run.ramp.length).toBeGreaterThan(0);
    }
  });

  it('writes latest.md and latest.json', () => {
    const markdown = readFileSync(join(options.outDir, 'latest.md'), 'utf8');
    expect(markdown).toContain('| scenario | figure | Tavern | baseline | ratio | goal | met |');
    expect(markdown).toContain('RSS per 1,000 idle connections');
    const json = JSON.parse(readFileSync(join(options.outDir, 'latest.json'), 'utf8')) as { machine: { nproc: number } };
    expect(json.machine.nproc).toBeGreaterThan(0);
    const fanout = output.result.scenarios.find((scenario) => scenario.id === 'fanout');
    expect(existsSync(join(options.outDir, 'latency.svg'))).toBe(fanout?.status === 'ok');
  });
});
