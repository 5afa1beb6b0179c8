/**
 * bench:decay — what one decay history row costs in the windowing core, warm and cold: N cards
 * get 6 events each (10 minutes apart) through the fraud topology's algebraic features, then
 * the watermark steps 1 s at a time over the following hours and only those steps are timed —
 * every row they settle is a decay row (a tile leaving a sliding window).
 *
 *   npm run bench:decay [-- --cards 1000,100000 --repeat 5 --runtime auto|object|record]
 *
 * Prints ns per row for each card count and repetition (the first repetitions include V8's
 * warm-up). Last line: one JSON object with the best repetition per card count.
 */
import { parseArgs } from 'node:util';
import type { Scalar } from '../src/core/aggregation/aggregator.js';
import { compileView } from '../src/core/topology/compile.js';
import { createRuntime, runtimeKind } from '../src/core/windowing/create-runtime.js';
import { planView } from '../src/core/windowing/view-plan.js';
import { fraudAlgebraic } from './fraud-algebraic.js';

const { values } = parseArgs({
  options: {
    cards: { type: 'string', default: '1000,100000' },
    repeat: { type: 'string', default: '5' },
    /** The view runtime (auto: as the engine picks — records for this view). */
    runtime: { type: 'string', default: 'auto' },
  },
});
const RUNTIME = runtimeKind(values.runtime);
const CARDS = values.cards.split(',').map(Number);
const REPEAT = Number(values.repeat);

const plan = planView(compileView(fraudAlgebraic));

const HOUR = 3_600_000;
const t0 = Date.UTC(2026, 0, 1);

/** ns per decay row for `n` cards, one repetition. */
function once(n: number): { rows: number; nsPerRow: number } {
  const rt = createRuntime(plan, RUNTIME);
  let offset = 0;
  for (let k = 0; k < 6; k++) {
    for (let i = 0; i < n; i++) {
      const inputs = plan.inputs.map((f): Scalar | null =>
        f === 'amount' ? 10 + (i % 97) : f === 'country' ? 'US' : null,
      );
      rt.apply(`card-${i}`, t0 + k * 600_000 + Math.floor((i / n) * 1000), inputs, offset++);
    }
  }
  // Settle the events themselves (and the short windows' decays) before timing.
  rt.observe(t0 + HOUR);
  rt.advance(t0 + HOUR);
  rt.takeRows();
  rt.dropWrites();
  let rows = 0;
  const start = process.hrtime.bigint();
  for (let wm = t0 + HOUR; wm < t0 + 8 * HOUR; wm += 1000) {
    rt.advance(wm);
    rows += rt.takeRows().length;
    rt.dropWrites();
  }
  const ns = Number(process.hrtime.bigint() - start);
  return { rows, nsPerRow: ns / rows };
}

console.log(
  `bench:decay — cards ${CARDS.join(', ')}, ${REPEAT} repetitions, ${RUNTIME} runtime, node ${process.version}`,
);
const best: Record<string, number> = {};
for (const n of CARDS) {
  for (let r = 0; r < REPEAT; r++) {
    const { rows, nsPerRow } = once(n);
    console.log(
      `${n.toLocaleString('en-US').padStart(9)} cards  ${rows.toLocaleString('en-US')} decay rows  ${nsPerRow.toFixed(0)} ns/row`,
    );
    best[n] = Math.min(best[n] ?? Infinity, nsPerRow);
  }
}
console.log(
  JSON.stringify({
    bench: 'decay',
    ns_per_row_best: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v)])),
  }),
);
