import { describe, expect, it } from 'vitest';
import { compileView } from '../../../src/core/topology/compile.js';
import { decodeEntity, encodeEntity } from '../../../src/core/windowing/entity-state.js';
import { PartitionRuntime } from '../../../src/core/windowing/partition-runtime.js';
import { planView } from '../../../src/core/windowing/view-plan.js';
import fraud from '../../../topologies/card-fraud.js';

/**
 * State written by the previous release (format 2: doubles as plain f64) — one card of the fraud
 * view after 9 events 47 s apart, 7 of them settled — must keep working after an upgrade: it
 * decodes to the same online values and is rewritten in the current format.
 */
const FORMAT_2 =
  '0210809383eeee6680c3f3edee66809383eeee6601d6e7ad950d0106809489d10201120112011401120114010480b78b1c020201020102020480b78b1c04cdcccccccc2c404002029a99999999594140020266666666668647400204cdcccccccc2c40400180d9ef010d67666666664e624000000000000010bd0480b78b1c9a99999999593640029a99999999594140026666666666864740029a999999995936400180d9ef0166666666668647400180d9ef01000c0521aff7142b7ca01d35f5d35e0d28fbb143d2d3b90180d9ef01000c025d87a43a0c357ada01a0f63b000004e80128160f0202010100000000000024406666666666864740030247420080dfe36db7794202000066d86db7794202c099ecedee660080dfe36db7794202f0f7f1edee6603a0d6f7edee66019a9999999959414003036d2d310302555302a0d6f7edee66b0de0501666666666686474003036d2d320302474202d0b4fdedee66b0de05021403036d2d330302474202809383eeee66';
const VALUES = [
  2,
  7,
  9,
  238.2,
  238.2,
  26.466666666666665,
  26.466666666666665,
  47.05,
  47.05,
  5,
  2,
  46.99674293393938,
  'GB',
  47000,
];

describe('entity state formats', () => {
  const view = compileView(fraud);
  const plan = planView(view);
  const online = (bytes: Uint8Array): unknown[] => {
    const rt = new PartitionRuntime(plan);
    const s = decodeEntity(plan, 'card-1', bytes, rt.slabs);
    rt.install(s);
    return [...rt.onlineValues(s)];
  };

  it('reads format 2 (previous release) and rewrites it, smaller, as format 3', () => {
    expect(view.version).toBe('a94f94afeb45');
    const old = new Uint8Array(Buffer.from(FORMAT_2, 'hex'));
    expect(online(old)).toEqual(VALUES);

    const now = encodeEntity(plan, decodeEntity(plan, 'card-1', old));
    expect(now[0]).toBe(3);
    expect(now.length).toBeLessThan(old.length); // 315 vs 375 bytes here
    expect(online(now)).toEqual(VALUES);
    // Stable: decoding and encoding again gives the same bytes.
    expect(Buffer.from(encodeEntity(plan, decodeEntity(plan, 'card-1', now)))).toEqual(
      Buffer.from(now),
    );
  });

  it('refuses other formats with a message that says what to do', () => {
    const bad = new Uint8Array(Buffer.from(FORMAT_2, 'hex'));
    bad[0] = 1;
    expect(() => decodeEntity(plan, 'card-1', bad)).toThrow(/format 1 is not supported.*backfill/);
  });
});
