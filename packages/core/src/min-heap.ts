// A binary min-heap ordered by (atMs, seq): the order every time-ordered queue here needs, with ties
// broken by insertion so runs are reproducible.
// The keys live in typed arrays beside the entries: sifting compares numbers in two contiguous
// buffers instead of loading every entry object it passes (the simulator's event queue pops ~50 M
// times in black-friday-40, and those loads were cache misses).

export interface Timed {
  readonly atMs: number;
  readonly seq: number;
}

const INITIAL_CAPACITY = 64;

export class TimedHeap<T extends Timed> {
  private readonly items: T[] = [];
  private times = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Live entries, in no particular order (for in-place adjustment of fields that do not affect order). */
  entries(): readonly T[] {
    return this.items;
  }

  push(entry: T): void {
    const items = this.items;
    let index = items.length;
    if (index === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const atMs = entry.atMs;
    const seq = entry.seq;
    items.push(entry);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const pt = times[parent] as number;
      if (pt < atMs || (pt === atMs && (seqs[parent] as number) < seq)) break;
      items[index] = items[parent] as T;
      times[index] = pt;
      seqs[index] = seqs[parent] as number;
      index = parent;
    }
    items[index] = entry;
    times[index] = atMs;
    seqs[index] = seq;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    const length = items.length;
    if (top === undefined || last === undefined || length === 0) return top;
    const times = this.times;
    const seqs = this.seqs;
    const lastTime = times[length] as number;
    const lastSeq = seqs[length] as number;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      let ct = times[left] as number;
      let cs = seqs[left] as number;
      if (right < length) {
        const rt = times[right] as number;
        const rs = seqs[right] as number;
        if (rt < ct || (rt === ct && rs < cs)) {
          child = right;
          ct = rt;
          cs = rs;
        }
      }
      if (lastTime < ct || (lastTime === ct && lastSeq < cs)) break;
      items[index] = items[child] as T;
      times[index] = ct;
      seqs[index] = cs;
      index = child;
    }
    items[index] = last;
    times[index] = lastTime;
    seqs[index] = lastSeq;
    return top;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.seqs = seqs;
  }
}
