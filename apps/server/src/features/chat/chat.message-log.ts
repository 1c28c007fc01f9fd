/**
 * One channel's kept messages for the in-memory chat store, off the V8 heap: each message is
 * its JSON in one byte arena (a Buffer), found by `seq` through two typed arrays, and decoded on
 * read. A full history (1,000 channels × 1,000 messages) held as JavaScript objects was millions
 * of long-lived objects that every mark-compact GC walked and moved (#22: stalls of 0.3–4.6 s
 * growing with the history); here it is two typed arrays and one Buffer per channel.
 *
 * Writes go to the arena's end; a message that leaves the history or is replaced leaves a hole.
 * When a write does not fit, the live entries are moved down over the holes (see `compact`), so
 * a channel whose history is full allocates nothing more.
 */

/** Smallest arena and smallest index: a channel with a handful of messages stays small. */
const MIN_ARENA_BYTES = 2_048;
const MIN_SLOTS = 16;

export class MessageLog {
  private arena: Buffer = Buffer.allocUnsafeSlow(MIN_ARENA_BYTES);
  private head = 0;
  private liveBytes = 0;
  /** Slot `seq % slots.length`: where the message's JSON starts and how long it is (0: none). */
  private offsets = new Uint32Array(MIN_SLOTS);
  private lengths = new Uint32Array(MIN_SLOTS);

  /** `capacity`: the most messages kept at once (seq and seq - capacity share nothing). */
  constructor(private readonly capacity: number) {
    if (capacity < MIN_SLOTS) {
      this.offsets = new Uint32Array(capacity);
      this.lengths = new Uint32Array(capacity);
    }
  }

  /** The JSON stored for `seq`; the caller knows which seqs are kept. */
  get(seq: number): string | undefined {
    const slot = seq % this.offsets.length;
    const length = this.lengths[slot] ?? 0;
    if (length === 0) return undefined;
    const offset = this.offsets[slot] ?? 0;
    return this.arena.toString('utf8', offset, offset + length);
  }

  /**
   * Stores `json` for `seq`, replacing what the slot held: an edit of `seq`, or the message
   * `seq - capacity` that leaves the history. `kept` is how many seqs are kept from now on
   * (`min(lastSeq, capacity)`): the index grows to hold them.
   */
  set(seq: number, json: string, kept: number): void {
    if (kept > this.offsets.length) this.growIndex(Math.min(this.capacity, Math.max(kept, this.offsets.length * 2)), seq);
    const slot = seq % this.offsets.length;
    this.liveBytes -= this.lengths[slot] ?? 0;
    this.lengths[slot] = 0;
    // At most 3 bytes per UTF-16 unit: only a write that may not fit counts its bytes first.
    if (this.head + json.length * 3 > this.arena.length) {
      const needed = Buffer.byteLength(json);
      if (this.head + needed > this.arena.length) this.compact(needed);
    }
    const length = this.arena.write(json, this.head, 'utf8');
    this.offsets[slot] = this.head;
    this.lengths[slot] = length;
    this.head += length;
    this.liveBytes += length;
  }

  /**
   * A larger modulus for the seqs kept so far. The index only grows while the history is not
   * full, when `newest - 1` seqs are kept and `newest - 1 <= slots`: each is moved once.
   */
  private growIndex(size: number, newest: number): void {
    const offsets = new Uint32Array(size);
    const lengths = new Uint32Array(size);
    const old = this.offsets.length;
    for (let seq = Math.max(1, newest - old); seq < newest; seq++) {
      offsets[seq % size] = this.offsets[seq % old] ?? 0;
      lengths[seq % size] = this.lengths[seq % old] ?? 0;
    }
    this.offsets = offsets;
    this.lengths = lengths;
  }

  /**
   * Makes room for `incoming` more bytes: the live entries moved down over the holes, in
   * place, while they fill at most 80% of the arena after the write (so that a compaction frees
   * at least a fifth of it, and each byte is moved a bounded number of times); else copied into
   * a new arena of 1.5× what they need. A full history reaches its size and stays in it.
   */
  private compact(incoming: number): void {
    const needed = this.liveBytes + incoming;
    if (needed * 1.25 > this.arena.length) {
      const arena = Buffer.allocUnsafeSlow(Math.max(MIN_ARENA_BYTES, Math.ceil(needed * 1.5)));
      let head = 0;
      for (let slot = 0; slot < this.lengths.length; slot++) {
        const length = this.lengths[slot] ?? 0;
        if (length === 0) continue;
        const offset = this.offsets[slot] ?? 0;
        this.arena.copy(arena, head, offset, offset + length);
        this.offsets[slot] = head;
        head += length;
      }
      this.arena = arena;
      this.head = head;
      return;
    }
    // In offset order, each entry moves to a lower offset or stays: copy() is a memmove.
    const slots: number[] = [];
    for (let slot = 0; slot < this.lengths.length; slot++) if ((this.lengths[slot] ?? 0) > 0) slots.push(slot);
    slots.sort((a, b) => (this.offsets[a] ?? 0) - (this.offsets[b] ?? 0));
    let head = 0;
    for (const slot of slots) {
      const length = this.lengths[slot] ?? 0;
      const offset = this.offsets[slot] ?? 0;
      if (offset !== head) this.arena.copy(this.arena, head, offset, offset + length);
      this.offsets[slot] = head;
      head += length;
    }
    this.head = head;
  }
}
