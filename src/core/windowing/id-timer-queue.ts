import { BucketHeap } from './bucket-heap.js';

/**
 * The calendar queue of `timer-queue.ts` for entities named by small integer ids (the record
 * runtime): an id sits in bucket `floor(due / width)`; `popDue(wm)` returns, in bucket order, the
 * ids of every bucket starting before `wm`, each once. Entries are lazy: an id rescheduled into
 * an earlier bucket leaves a stale entry behind, recognised by `scheduled[id] !== bucket`.
 */
export class IdTimerQueue {
  private readonly buckets = new Map<number, number[]>();
  private readonly heap = new BucketHeap();
  /** Bucket each id is scheduled in; NaN when unscheduled (or past the end: never scheduled). */
  private readonly scheduled: number[] = [];

  constructor(private readonly width: number) {}

  /** Forgets where `id` is scheduled (its stale entries are then skipped). */
  unschedule(id: number): void {
    this.scheduled[id] = Number.NaN;
  }

  /** Ensures `id` is scheduled no later than `due` (a no-op for Infinity). */
  schedule(id: number, due: number): void {
    if (due === Infinity) return;
    const k = Math.floor(due / this.width);
    const at = this.scheduled[id] ?? Number.NaN;
    if (!(k < at) && !Number.isNaN(at)) return;
    this.scheduled[id] = k;
    let list = this.buckets.get(k);
    if (list === undefined) {
      list = [];
      this.buckets.set(k, list);
      this.heap.push(k);
    }
    list.push(id);
  }

  /** Removes and appends to `out` the ids of all buckets starting before `wm` (each once). */
  popDue(wm: number, out: number[]): void {
    const heap = this.heap;
    const scheduled = this.scheduled;
    while (heap.size > 0 && heap.peek() * this.width < wm) {
      const k = heap.pop();
      const list = this.buckets.get(k);
      this.buckets.delete(k);
      if (list === undefined) continue;
      for (const id of list) {
        if (scheduled[id] !== k) continue;
        scheduled[id] = Number.NaN;
        out.push(id);
      }
    }
  }
}
