/** A binary min-heap of bucket numbers: the order in which the timer queues visit buckets. */
export class BucketHeap {
  private readonly h: number[] = [];

  get size(): number {
    return this.h.length;
  }

  /** The least bucket (call only when `size > 0`). */
  peek(): number {
    return this.h[0] ?? Infinity;
  }

  push(k: number): void {
    const h = this.h;
    h.push(k);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pv = h[p] ?? 0;
      if (pv <= k) break;
      h[i] = pv;
      i = p;
    }
    h[i] = k;
  }

  /** Removes and returns the least bucket (call only when `size > 0`). */
  pop(): number {
    const h = this.h;
    const top = h[0] ?? 0;
    const last = h.pop() ?? 0;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && (h[r] ?? 0) < (h[l] ?? 0) ? r : l;
        if ((h[c] ?? 0) >= last) break;
        h[i] = h[c] ?? 0;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
