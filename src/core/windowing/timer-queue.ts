import { BucketHeap } from './bucket-heap.js';

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
  private readonly heap = new BucketHeap();

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
      this.heap.push(k);
    }
    list.push(item);
  }

  /** Removes and returns the items of all buckets starting before `wm` (each at most once). */
  popDue(wm: number, out: T[]): void {
    while (this.heap.size > 0 && this.heap.peek() * this.width < wm) {
      const k = this.heap.pop();
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
}
