/**
 * `pnpm bench` (full suite), `pnpm bench:smoke` (seconds, tiny sizes), `pnpm bench:soak`
 * (10 minutes of churn and chat). Options override sizes for shorter or bigger runs; see
 * `--help` and bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fullOptions, SCENARIOS, smokeOptions, soakOptions, type ScenarioId, type SuiteOptions } from './options.js';
import { coreLayout, describeMachine } from './machine.js';
import type { RedisKind } from './processes/redis.js';
import { runSuite } from './suite.js';

const HELP = `Tavern benchmark suite: Tavern against raw Socket.IO (and Colyseus for game rooms), real processes on 127.0.0.1.

  pnpm bench                      the full suite (scenarios 1-5, 7 and 8), results in bench/results/
  pnpm bench:smoke                seconds-long run with tiny sizes, results in a temp folder
  pnpm bench:soak                 connection churn and chat: a warm-up, then 10 measured minutes (scenario 6);
                                  then the seeds' mixed load for 10 minutes, Tavern and raw Socket.IO (scenario 8)

Options (after \`pnpm bench --\`):
  --scenarios idle,fanout,ack,zone,cluster,soak,rooms,seeds   which scenarios (default: all but soak)
  --targets tavern,raw            which servers to measure (default both; the other column stays empty;
                                  raw is the baseline, Colyseus in the rooms scenario)
  --repeats N                     runs per target, interleaved A B A B (default 2)
  --idle-sizes 5000,10000         idle connection counts
  --fanout-sizes 1000,5000        channel sizes for the fan-out
  --step-seconds S                length of each fan-out step (default 4)
  --ack-configs 500x2,100x10      channels x members for the ack path
  --zone ID                       zone to enter (default tavern-district)
  --zone-players N  --zone-hz H   players moving in one zone and their move rate
  --cluster-members N             channel size for the two-node scenario
  --cluster-redis single,cluster  what its nodes share: one redis-server, a Redis Cluster, or both (default)
  --cluster-replicas N            replicas per master of that Redis Cluster (3 masters; default 1)
  --rooms-configs 100x8,10x64     rooms x players for the game-room scenario
  --soak-minutes M                the soak's measured window (default 10; the warm-up comes first), and in
                                  pnpm bench:soak the seeds' mixed load's window too
  --seeds-connections N           seeds scenario: connections, in rooms of --seeds-room-size (default 10000, 10)
  --seeds-room-size N
  --seeds-chat-rate R             chat:send per second in the measured window (default 1000)
  --seeds-rates C,T,P,R           chat:send, chat:typing, presence:set, chat:read per second (default 1000,200,20,100)
  --seeds-seconds S               the measured window (default 60), after --seeds-warmup-seconds (default 15)
  --seeds-warmup-seconds S
  --seeds-ramp 1000,1500,none     chat rates of the ramp after the window (none: no ramp), --seeds-ramp-seconds each (15)
  --seeds-ramp-seconds S
  --seeds-redis                   Tavern over a fresh redis-server instead of in memory
  --seeds-prefill N               chat messages per room sent before the warm-up (Tavern only; default 0)
  --seeds-trace-gc                both servers with --trace-gc; mark-compact lines kept per window in latest.json
  --tavern-env KEY=VALUE          extra environment for every Tavern process (repeatable)
  --out DIR                       where latest.md/json and latency.svg go
  --profile DIR                   write a V8 CPU profile (--cpu-prof) of every server process to DIR
                                  (raw Socket.IO's in DIR/raw, Colyseus's in DIR/colyseus)
  --max-minutes M                 stop everything after M minutes (default 60; soak: its warm-up, windows + 10)
`;

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
const numbers = (value: string | undefined, flag: string) =>
  list(value)?.map((item) => {
    const parsed = Number(item);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag}: ${item} is not a positive number`);
    return parsed;
  });

/** `500x2,100x10` as [[500, 2], [100, 10]]. */
function pairs(value: string | undefined, flag: string, shape: string): [number, number][] | undefined {
  return list(value)?.map((item) => {
    const match = /^(\d+)x(\d+)$/.exec(item);
    if (!match) throw new Error(`${flag}: ${item} is not ${shape}`);
    return [Number(match[1]), Number(match[2])];
  });
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag}: ${value} is not a positive number`);
  return parsed;
}

function parseOptions(argv: string[]): { options: SuiteOptions; maxMinutes: number } {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean' },
      smoke: { type: 'boolean' },
      soak: { type: 'boolean' },
      scenarios: { type: 'string' },
      repeats: { type: 'string' },
      targets: { type: 'string' },
      'idle-sizes': { type: 'string' },
      'fanout-sizes': { type: 'string' },
      'step-seconds': { type: 'string' },
      'ack-configs': { type: 'string' },
      zone: { type: 'string' },
      'zone-players': { type: 'string' },
      'zone-hz': { type: 'string' },
      'cluster-members': { type: 'string' },
      'cluster-redis': { type: 'string' },
      'cluster-replicas': { type: 'string' },
      'rooms-configs': { type: 'string' },
      'soak-minutes': { type: 'string' },
      'seeds-connections': { type: 'string' },
      'seeds-room-size': { type: 'string' },
      'seeds-chat-rate': { type: 'string' },
      'seeds-rates': { type: 'string' },
      'seeds-seconds': { type: 'string' },
      'seeds-warmup-seconds': { type: 'string' },
      'seeds-ramp': { type: 'string' },
      'seeds-ramp-seconds': { type: 'string' },
      'seeds-redis': { type: 'boolean' },
      'seeds-prefill': { type: 'string' },
      'seeds-trace-gc': { type: 'boolean' },
      'tavern-env': { type: 'string', multiple: true },
      out: { type: 'string' },
      profile: { type: 'string' },
      'max-minutes': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const options = values.smoke ? smokeOptions() : values.soak ? soakOptions() : fullOptions();
  if (values.smoke) options.outDir = mkdtempSync(join(tmpdir(), 'tavern-bench-smoke-'));
  const scenarios = list(values.scenarios);
  if (scenarios) {
    for (const id of scenarios) if (!(SCENARIOS as readonly string[]).includes(id)) throw new Error(`--scenarios: unknown scenario ${id} (${SCENARIOS.join(', ')})`);
    options.scenarios = scenarios as ScenarioId[];
  }
  const targets = list(values.targets);
  if (targets) {
    for (const target of targets) if (target !== 'tavern' && target !== 'raw') throw new Error(`--targets: unknown target ${target} (tavern, raw)`);
    options.targets = targets as ('tavern' | 'raw')[];
  }
  const repeats = positive(values.repeats, '--repeats');
  if (repeats !== undefined) options.repeats = Math.round(repeats);
  const idleSizes = numbers(values['idle-sizes'], '--idle-sizes');
  if (idleSizes) options.idle.sizes = idleSizes.map(Math.round);
  const fanoutSizes = numbers(values['fanout-sizes'], '--fanout-sizes');
  if (fanoutSizes) {
    if (fanoutSizes.some((size) => size < 2)) throw new Error('--fanout-sizes: a channel needs at least 2 members');
    options.fanout.sizes = fanoutSizes.map(Math.round);
  }
  const stepSeconds = positive(values['step-seconds'], '--step-seconds');
  if (stepSeconds !== undefined) {
    options.fanout.stepMs = stepSeconds * 1000;
    options.cluster.stepMs = stepSeconds * 1000;
  }
  const ackConfigs = pairs(values['ack-configs'], '--ack-configs', 'CHANNELSxMEMBERS');
  if (ackConfigs) options.ack.configs = ackConfigs.map(([channels, members]) => ({ channels, members }));
  const roomsConfigs = pairs(values['rooms-configs'], '--rooms-configs', 'ROOMSxPLAYERS');
  if (roomsConfigs) options.rooms.configs = roomsConfigs.map(([rooms, players]) => ({ rooms, players }));
  if (values.zone) options.zone.zoneId = values.zone;
  const players = positive(values['zone-players'], '--zone-players');
  if (players !== undefined) options.zone.players = Math.round(players);
  const hz = positive(values['zone-hz'], '--zone-hz');
  if (hz !== undefined) options.zone.hz = hz;
  const clusterMembers = positive(values['cluster-members'], '--cluster-members');
  if (clusterMembers !== undefined) options.cluster.members = Math.max(3, Math.round(clusterMembers));
  const clusterRedis = list(values['cluster-redis']);
  if (clusterRedis) {
    for (const kind of clusterRedis) if (kind !== 'single' && kind !== 'cluster') throw new Error(`--cluster-redis: unknown kind ${kind} (single, cluster)`);
    options.cluster.redis = clusterRedis as RedisKind[];
  }
  const replicas = values['cluster-replicas'];
  if (replicas !== undefined) {
    if (!/^\d+$/.test(replicas)) throw new Error(`--cluster-replicas: ${replicas} is not a whole number`);
    options.cluster.shape.replicas = Number(replicas);
  }
  const soakMinutes = positive(values['soak-minutes'], '--soak-minutes');
  if (soakMinutes !== undefined) {
    options.soak.durationMs = soakMinutes * 60_000;
    // The soak's seeds window is the soak's length.
    if (options.mode === 'soak') options.seeds.durationMs = options.soak.durationMs;
  }
  const seeds = options.seeds;
  const roomSize = positive(values['seeds-room-size'], '--seeds-room-size');
  if (roomSize !== undefined) seeds.roomSize = Math.max(2, Math.round(roomSize));
  const seedsConnections = positive(values['seeds-connections'], '--seeds-connections');
  if (seedsConnections !== undefined) seeds.connections = Math.max(seeds.roomSize, Math.round(seedsConnections));
  const rates = numbers(values['seeds-rates'], '--seeds-rates');
  if (rates) {
    const [chat, typing, presence, read] = rates;
    if (read === undefined || rates.length !== 4) throw new Error('--seeds-rates: four rates, chat,typing,presence,read');
    Object.assign(seeds, { chatPerSec: chat, typingPerSec: typing, presencePerSec: presence, readPerSec: read });
  }
  const chatRate = positive(values['seeds-chat-rate'], '--seeds-chat-rate');
  if (chatRate !== undefined) seeds.chatPerSec = chatRate;
  const seedsSeconds = positive(values['seeds-seconds'], '--seeds-seconds');
  if (seedsSeconds !== undefined) seeds.durationMs = seedsSeconds * 1000;
  const seedsWarmup = positive(values['seeds-warmup-seconds'], '--seeds-warmup-seconds');
  if (seedsWarmup !== undefined) seeds.warmupMs = seedsWarmup * 1000;
  if (values['seeds-ramp'] !== undefined) seeds.rampChatPerSec = values['seeds-ramp'] === 'none' ? [] : (numbers(values['seeds-ramp'], '--seeds-ramp') ?? []);
  const rampSeconds = positive(values['seeds-ramp-seconds'], '--seeds-ramp-seconds');
  if (rampSeconds !== undefined) seeds.rampStepMs = rampSeconds * 1000;
  if (values['seeds-redis']) seeds.redis = true;
  const prefill = positive(values['seeds-prefill'], '--seeds-prefill');
  if (prefill !== undefined) seeds.prefillPerRoom = Math.round(prefill);
  if (values['seeds-trace-gc']) seeds.traceGc = true;
  for (const pair of values['tavern-env'] ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--tavern-env: ${pair} is not KEY=VALUE`);
    options.tavernEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (values.out) options.outDir = resolve(values.out);
  if (values.profile) {
    options.profileDir = resolve(values.profile);
    mkdirSync(options.profileDir, { recursive: true });
  }
  // The soak's seeds window runs once per target after it, each with its connect and warm-up (~2 min).
  const soakSeedsMs = options.scenarios.includes('seeds') ? options.targets.length * (options.seeds.durationMs + 120_000) : 0;
  const defaultMax = options.mode === 'smoke' ? 3 : options.scenarios.includes('soak') ? (options.soak.warmupMs + options.soak.durationMs + soakSeedsMs) / 60_000 + 10 : 60;
  const maxMinutes = positive(values['max-minutes'], '--max-minutes') ?? defaultMax;
  return { options, maxMinutes };
}

async function main(): Promise<void> {
  const { options, maxMinutes } = parseOptions(process.argv.slice(2));
  // The orchestrator is mostly idle, but keep it off the server's core too.
  const machine = describeMachine();
  const load = coreLayout(machine).load;
  if (load !== null) spawnSync('taskset', ['-a', '-p', '-c', load, String(process.pid)], { stdio: 'ignore' });
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${maxMinutes} minutes; stopping everything\n`);
    process.exit(2);
  }, maxMinutes * 60_000);
  watchdog.unref();
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));

  const { result, markdown, files } = await runSuite(
    options,
    {
      log: (message) => process.stdout.write(`${message}\n`),
      warn: (message) => process.stderr.write(`warning: ${message}\n`),
    },
    machine,
  );
  process.stdout.write(`\n${markdown}\n`);
  for (const file of files) process.stdout.write(`wrote ${file}\n`);
  const failed = result.scenarios.filter((scenario) => scenario.status === 'failed');
  const soakFailed = result.scenarios.some((scenario) => scenario.id === 'soak' && scenario.figures.some((figure) => figure.met === false));
  process.exit(failed.length > 0 || soakFailed ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
