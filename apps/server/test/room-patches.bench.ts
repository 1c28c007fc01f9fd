/**
 * Measures two ways to turn a game room's tick into patches, on the state of a 16-player
 * arena where 4 players move, one score and one hp change per tick:
 *  - compare: fast-json-patch's `compare(previousView, nextView)` over snapshots of the view
 *    (`structuredClone` of what the player may see), the state mutated in place;
 *  - mutative: patches recorded while the tick mutates a draft (`create(..., { enablePatches })`),
 *    then turned into JSON Pointer paths for the wire.
 * Prints µs per tick and bytes per patch frame, with a patch every tick and every third tick
 * (a 60 Hz tick sent at 20 Hz: compare sends a value changed thrice once, mutative thrice).
 * Run: `cd apps/server && pnpm exec tsx test/room-patches.bench.ts`.
 */
import fastJsonPatch from 'fast-json-patch';
import { create, type Patches } from 'mutative';

interface Arena {
  round: number;
  players: Record<string, { x: number; y: number; hp: number; score: number; name: string; inventory: string[] }>;
  board: number[][];
}

function arena(): Arena {
  const players: Arena['players'] = {};
  for (let index = 0; index < 16; index++) players[`p${index}`] = { x: index, y: index, hp: 100, score: 0, name: `player-${index}`, inventory: ['sword', 'shield', 'potion'] };
  return { round: 1, players, board: Array.from({ length: 16 }, () => Array.from({ length: 16 }, () => 0)) };
}

function tick(state: Arena, step: number): void {
  for (let index = 0; index < 4; index++) {
    const player = state.players[`p${(step * 4 + index) % 16}`]!;
    player.x += 1;
    player.y -= 1;
  }
  state.players[`p${step % 16}`]!.score += 1;
  state.players['p0']!.hp -= 1; // one value that changes every tick
  state.board[step % 16]![(step * 7) % 16] = step;
}

const TICKS = 20_000;
const pointer = (path: (string | number)[]) => '/' + path.map((part) => String(part).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

function runCompare(ticksPerPatch: number): { usPerTick: number; bytesPerFrame: number } {
  const state = arena();
  let previous = structuredClone(state);
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (let step = 0; step < TICKS; step++) {
    tick(state, step);
    if ((step + 1) % ticksPerPatch !== 0) continue;
    const next = structuredClone(state);
    const ops = fastJsonPatch.compare(previous, next);
    bytes += JSON.stringify({ roomId: 'r1', seq: step + 1, ops }).length;
    previous = next;
  }
  return { usPerTick: Number(process.hrtime.bigint() - started) / 1000 / TICKS, bytesPerFrame: (bytes * ticksPerPatch) / TICKS };
}

function runMutative(ticksPerPatch: number): { usPerTick: number; bytesPerFrame: number } {
  let state = arena();
  let bytes = 0;
  let pending: Patches = [];
  const started = process.hrtime.bigint();
  for (let step = 0; step < TICKS; step++) {
    const [next, patches] = create(state, (draft) => tick(draft, step), { enablePatches: true });
    state = next;
    pending.push(...patches);
    if ((step + 1) % ticksPerPatch !== 0) continue;
    const ops = pending.map((patch) => ({ op: patch.op, path: pointer(patch.path as (string | number)[]), ...('value' in patch && { value: patch.value }) }));
    pending = [];
    bytes += JSON.stringify({ roomId: 'r1', seq: step + 1, ops }).length;
  }
  return { usPerTick: Number(process.hrtime.bigint() - started) / 1000 / TICKS, bytesPerFrame: (bytes * ticksPerPatch) / TICKS };
}

for (const ticksPerPatch of [1, 3]) for (let round = 0; round < 3; round++) {
  const compare = runCompare(ticksPerPatch);
  const mutative = runMutative(ticksPerPatch);
  console.log(
    `${ticksPerPatch} tick(s) per patch, round ${round + 1}: compare ${compare.usPerTick.toFixed(1)} µs/tick ${compare.bytesPerFrame.toFixed(0)} B/frame | mutative ${mutative.usPerTick.toFixed(1)} µs/tick ${mutative.bytesPerFrame.toFixed(0)} B/frame | full state ${JSON.stringify(arena()).length} B`,
  );
}
