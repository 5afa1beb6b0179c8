/**
 * Calendar queue of entities by due time. An entity sits in the bucket `floor(due / width)`;
 * `popDue(wm)` returns, in bucket order, the entities of every bucket that starts before `wm`,
 * without scanning entities that are not due. Entries are lazy: an entity rescheduled into an
 * earlier bucket leaves a stale entry behind, recognised by `scheduled !== bucket`.
 */
export interface Schedulable {
  scheduled: number;
}

export class TimerQueue<T extends Schedulable> {
  private readonly buckets = new Map<number, T[]>();
  private readonly heap: number[] = [];

  constructor(private readonly width: number) {}

  get bucketCount(): number {
    return this.buckets.size;
  }

  /** Ensures `item` is scheduled no later than `due` (a no-op for Infinity). */
  schedule(item: T, due: number): void {
    if (due === Infinity) return;
    const k = Math.floor(due / this.width);
    if (!(k < item.scheduled) && !Number.isNaN(item.scheduled)) return;
    item.scheduled = k;
    let list = this.buckets.get(k);
    if (list === undefined) {
      list = [];
      this.buckets.set(k, list);
      this.push(k);
    }
    list.push(item);
  }

  /** Removes and returns the items of all buckets starting before `wm` (each at most once). */
  popDue(wm: number, out: T[]): void {
    while (this.heap.length > 0 && (this.heap[0] ?? Infinity) * this.width < wm) {
      const k = this.pop();
      const list = this.buckets.get(k);
      this.buckets.delete(k);
      if (list === undefined) continue;
      for (const item of list) {
        if (item.scheduled !== k) continue;
        item.scheduled = Number.NaN;
        out.push(item);
      }
    }
  }

  private push(k: number): void {
    const h = this.heap;
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

  private pop(): number {
    const h = this.heap;
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
