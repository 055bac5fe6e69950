// A binary min-heap ordered by (atMs, seq): the order every time-ordered queue here needs, with ties
// broken by insertion so runs are reproducible.

export interface Timed {
  readonly atMs: number;
  readonly seq: number;
}

export class TimedHeap<T extends Timed> {
  private readonly items: T[] = [];

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
    items.push(entry);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const p = items[parent] as T;
      if (p.atMs < entry.atMs || (p.atMs === entry.atMs && p.seq < entry.seq)) break;
      items[index] = p;
      index = parent;
    }
    items[index] = entry;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let index = 0;
    const length = items.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      let c = items[left] as T;
      if (right < length) {
        const r = items[right] as T;
        if (r.atMs < c.atMs || (r.atMs === c.atMs && r.seq < c.seq)) {
          child = right;
          c = r;
        }
      }
      if (last.atMs < c.atMs || (last.atMs === c.atMs && last.seq < c.seq)) break;
      items[index] = c;
      index = child;
    }
    items[index] = last;
    return top;
  }
}
