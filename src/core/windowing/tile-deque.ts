/**
 * Non-empty tiles of one tile series for one entity, oldest first. Tiles are only ever appended
 * (settling runs in event-time order) and dropped from the front once no window can read them.
 * Indices are absolute positions in the arrays; `compact()` shifts them and reports by how much.
 */
export class TileDeque {
  starts: number[] = [];
  irs: unknown[] = [];
  head = 0;

  get size(): number {
    return this.starts.length - this.head;
  }

  get end(): number {
    return this.starts.length;
  }

  lastStart(): number {
    return this.starts.length > this.head
      ? (this.starts[this.starts.length - 1] ?? -Infinity)
      : -Infinity;
  }

  push(start: number, ir: unknown): void {
    this.starts.push(start);
    this.irs.push(ir);
  }

  /** Drops tiles starting before `minStart`; returns how many. */
  dropBefore(minStart: number): number {
    const from = this.head;
    while (this.head < this.starts.length && (this.starts[this.head] ?? Infinity) < minStart) {
      this.irs[this.head] = undefined;
      this.head++;
    }
    return this.head - from;
  }

  /** Reclaims dropped slots when worthwhile; returns the shift to subtract from absolute indices. */
  compact(): number {
    const shift = this.head;
    if (shift < 32 || shift * 2 < this.starts.length) return 0;
    this.starts = this.starts.slice(shift);
    this.irs = this.irs.slice(shift);
    this.head = 0;
    return shift;
  }
}
