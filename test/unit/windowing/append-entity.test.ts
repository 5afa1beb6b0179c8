import { describe, expect, it } from 'vitest';
import type { Scalar } from '../../../src/core/aggregation/aggregator.js';
import { ByteWriter } from '../../../src/core/encoding/bytes.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { EventReader, READ_OK } from '../../../src/core/topology/event-reader.js';
import { appendEntity, encodeEntity } from '../../../src/core/windowing/entity-state.js';
import { PartitionRuntime } from '../../../src/core/windowing/partition-runtime.js';
import { planView } from '../../../src/core/windowing/view-plan.js';
import fraud from '../../../topologies/card-fraud.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * A batch's state bytes share one arena (`appendEntity`); the views handed out must equal the
 * standalone encoding and must not change when later entities make the arena grow.
 */
describe('appendEntity', () => {
  it('gives views equal to encodeEntity that stay valid while the arena grows', () => {
    const view = compileView(fraud);
    const plan = planView(view);
    const reader = new EventReader(view, plan.inputs);
    const rt = new PartitionRuntime(plan);
    const start = Date.UTC(2026, 0, 1);
    let offset = 0;
    for (let i = 0; i < 400; i++) {
      const row = {
        card_id: `card-${i % 7}`,
        amount: 10 + (i % 13) * 1.5,
        merchant_id: `m-${i % 11}`,
        country: i % 3 === 0 ? 'US' : 'GB',
        ts: start + i * 20_000,
      };
      const inputs = new Array<Scalar | null>(plan.inputs.length);
      const t = reader.eventTime(row);
      expect(reader.read(row, t, inputs)).toBe(READ_OK);
      rt.apply(reader.key, t, inputs, offset++);
      if (i % 25 === 0) rt.advance();
    }
    rt.advance();
    const entities = [...rt.entities.values()];
    expect(entities.length).toBe(7);

    const arena = new ByteWriter(64); // far too small: grows several times
    const views = entities.map((s) => appendEntity(plan, s, arena));
    const expected = entities.map((s) => hex(encodeEntity(plan, s)));
    expect(views.map(hex)).toEqual(expected);
    // Views of one arena, not copies: the last one ends where the arena does.
    expect(arena.length).toBe(views.reduce((n, v) => n + v.length, 0));

    for (const s of entities) appendEntity(plan, s, arena);
    expect(views.map(hex)).toEqual(expected);
  });
});
