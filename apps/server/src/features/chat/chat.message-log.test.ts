/** MessageLog against a plain Map of what it should hold, through growth, wrap-around, edits and compactions. */
import { describe, expect, it } from 'vitest';
import { MessageLog } from './chat.message-log.js';

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const PIECES = ['a', 'é', '👍', 'مرحبا', '"quoted"', '\\'];

describe.each([1, 5, 16, 17, 1_000])('MessageLog with a capacity of %i', (capacity) => {
  it('reads back every kept message as last written, and nothing else', () => {
    const next = random(capacity);
    const text = () => JSON.stringify({ body: Array.from({ length: Math.floor(next() * 60) }, () => PIECES[Math.floor(next() * PIECES.length)]).join('') });
    const log = new MessageLog(capacity);
    const model = new Map<number, string>();
    let lastSeq = 0;
    for (let step = 0; step < 5_000; step++) {
      if (lastSeq > 0 && next() < 0.3) {
        // An edit of a kept message, longer or shorter than before.
        const seq = lastSeq - Math.floor(next() * Math.min(lastSeq, capacity));
        const json = text();
        log.set(seq, json, Math.min(lastSeq, capacity));
        model.set(seq, json);
      } else {
        const json = text();
        lastSeq++;
        log.set(lastSeq, json, Math.min(lastSeq, capacity));
        model.set(lastSeq, json);
        model.delete(lastSeq - capacity);
      }
      if (step % 97 === 0 || step === 4_999) {
        for (let seq = Math.max(1, lastSeq - capacity + 1); seq <= lastSeq; seq++) expect(log.get(seq), `seq ${seq} at step ${step}`).toBe(model.get(seq));
        expect(model.size).toBe(Math.min(lastSeq, capacity));
      }
    }
  });
});
