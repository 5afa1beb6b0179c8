import type { FeatureValue } from '../core/aggregation/aggregator.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { EngineObserver } from '../engine/engine-events.js';
import type { OnlineStore } from '../ports/online-store.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function show(v: FeatureValue): string {
  if (v === null) return '∅';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (Array.isArray(v)) return `[${v.join(',')}]`;
  return String(v);
}

/** Live progress of a running engine: rates, entity counts and one entity's latest values. */
export class ProgressReporter {
  private producedTotal = 0;
  private applied = 0;
  private late = 0;
  private dead = 0;
  private rows = 0;
  private writes = 0;
  private lastApplied = 0;
  private lastAt = 0;
  private readonly startedAt = Date.now();
  private readonly keys = new Map<string, Set<string>>();
  private last: { key: string; values: readonly FeatureValue[] } | undefined;
  private freshness: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private view: ViewIR | undefined;

  constructor(
    private readonly online: OnlineStore,
    private readonly print: (line: string) => void,
  ) {}

  readonly observer: EngineObserver = {
    batch: (e) => {
      this.applied += e.counters.applied;
      this.late += e.counters.late;
      this.dead += Object.values(e.counters.dead).reduce((a, b) => a + b, 0);
      this.rows += e.historyRows;
      this.writes += e.entityWrites;
    },
    written: (e) => {
      let set = this.keys.get(e.view);
      if (set === undefined) this.keys.set(e.view, (set = new Set()));
      if (set.size < 5_000_000) set.add(e.key);
      if (e.view === this.view?.name) {
        this.last = { key: e.key, values: e.values };
        if (this.freshness.length < 10_000) this.freshness.push(e.writtenAt - e.asOf);
      }
    },
  };

  produced(n: number): void {
    this.producedTotal += n;
  }

  start(view: ViewIR, everyMs: number): void {
    this.view = view;
    this.lastAt = Date.now();
    this.timer = setInterval(() => void this.report(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private async report(): Promise<void> {
    const now = Date.now();
    const rate = ((this.applied - this.lastApplied) * 1000) / Math.max(1, now - this.lastAt);
    this.lastApplied = this.applied;
    this.lastAt = now;
    const view = this.view;
    const fresh = [...this.freshness].sort((a, b) => a - b);
    this.freshness = [];
    const p50 = fresh.length === 0 ? undefined : fresh[Math.floor(fresh.length / 2)];
    const entities = [...this.keys].map(([v, s]) => `${v} ${fmt(s.size)}`).join(', ');
    let sample = '';
    if (view !== undefined && this.last !== undefined) {
      const [vec] = await this.online
        .readVectors(view.name, view.version, [this.last.key])
        .catch(() => [null]);
      const names = view.features.map((f) => f.name).slice(0, 6);
      const vals =
        vec === null || vec === undefined
          ? this.last.values.slice(0, 6).map(show)
          : names.map((n) => vec.get(n) ?? '∅');
      sample = ` | ${this.last.key}: ${names.map((n, i) => `${n}=${vals[i] ?? '∅'}`).join(' ')}`;
    }
    this.print(
      `[${String(Math.round((now - this.startedAt) / 1000)).padStart(4)}s] ${fmt(rate)} events/s · applied ${fmt(this.applied)} · late ${fmt(this.late)} · dead-lettered ${fmt(this.dead)} · entities: ${entities || '0'} · history rows ${fmt(this.rows)}${p50 === undefined ? '' : ` · freshness p50 ${fmt(p50)} ms`}${sample}`,
    );
  }

  summary(): string {
    return `produced ${fmt(this.producedTotal)} events; applied ${fmt(this.applied)}; wrote ${fmt(this.writes)} entity updates and ${fmt(this.rows)} history rows`;
  }
}
