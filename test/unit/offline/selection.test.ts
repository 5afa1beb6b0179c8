import { describe, expect, it } from 'vitest';
import {
  compileView,
  entity,
  featureService,
  featureView,
  field,
  source,
} from '../../../src/index.js';
import { compileService } from '../../../src/core/topology/feature-service.js';
import type { FeatureIR } from '../../../src/core/topology/ir.js';
import { emptyValue } from '../../../src/offline/empty-values.js';
import { selectFeatures } from '../../../src/offline/feature-selection.js';
import { sameFeatureValue } from '../../../src/offline/value-compare.js';

const card = entity('card', { keys: ['card_id'] });
const txns = source('txns', {
  topic: 'txns',
  schema: {
    card_id: field.string(),
    amount: field.double(),
    m: field.string(),
    ts: field.timestamp(),
  },
  eventTime: 'ts',
  key: ['card_id'],
});
const def = featureView('cards', {
  entity: card,
  source: txns,
  features: (f) => ({
    n: f.count().over('1m'),
    s: f.sum('amount').over('1m'),
    mean: f.mean('amount').over('1m'),
    recent: f.lastN('m', 2).over('1m'),
    p: f.quantile('amount', 0.5).over('1m'),
    plus_one: f
      .count()
      .over('1m')
      .map((c) => c + 1),
  }),
});
const view = compileView(def);
const svc = compileService(
  featureService('m', {
    features: [
      { view: def, feature: 's', as: 'spend' },
      { view: def, feature: 'n', version: 'aaaaaaaaaaaa' },
    ],
  }),
  new Map([[view.name, view]]),
);
const t = { views: [view], services: [svc] };

describe('feature selection', () => {
  it('view:feature, view:*, versions and empty values', () => {
    const all = selectFeatures(t, { features: ['cards:*'] });
    expect(all.map((f) => [f.name, f.version, f.empty])).toEqual([
      ['n', view.version, 0],
      ['s', view.version, 0],
      ['mean', view.version, null],
      ['recent', view.version, []],
      ['p', view.version, null],
      ['plus_one', view.version, 1],
    ]);
    const pinned = selectFeatures(t, {
      features: ['cards:plus_one'],
      versions: { cards: 'bbbbbbbbbbbb' },
    });
    // Another version's map function is unknown: ClickHouse's default is used.
    expect(pinned[0]?.empty).toBeUndefined();
    expect(selectFeatures(t, { service: 'm' }).map((f) => [f.name, f.version])).toEqual([
      ['spend', view.version],
      ['n', 'aaaaaaaaaaaa'],
    ]);
  });

  it('errors name the unknown thing and what exists', () => {
    expect(() => selectFeatures(t, { features: ['cards:nope'] })).toThrow(
      "view 'cards' has no feature 'nope' (features: n, s, mean, recent, p, plus_one)",
    );
    expect(() => selectFeatures(t, { features: ['other:n'] })).toThrow(
      "unknown view 'other' (loaded: cards)",
    );
    expect(() => selectFeatures(t, { service: 'x' })).toThrow(
      "unknown feature service 'x' (loaded: m)",
    );
    expect(() => selectFeatures(t, {})).toThrow(/exactly one of --features/);
    expect(() => selectFeatures(t, { features: ['cards:n'], service: 'm' })).toThrow(
      /exactly one of/,
    );
    expect(() => selectFeatures(t, { service: 'm', versions: { cards: 'x' } })).toThrow(
      /pins its versions/,
    );
    expect(() => selectFeatures(t, { features: ['cards:n', 'cards:n'] })).toThrow(
      "two selected features are named 'n'",
    );
    expect(() => selectFeatures(t, { features: ['cards'] })).toThrow("'cards' is not view:feature");
  });

  it('empty values follow the semantics (after map)', () => {
    expect(view.features.map(emptyValue)).toEqual([0, 0, null, [], null, 1]);
  });

  it('value comparison: exact for counts and sketches, 1e-9 relative for floats', () => {
    const ir = (name: string): FeatureIR =>
      view.ir.features.find((f) => f.name === name) as FeatureIR;
    expect(sameFeatureValue(ir('n'), 3, 3)).toBe(true);
    expect(sameFeatureValue(ir('n'), 3, 4)).toBe(false);
    expect(sameFeatureValue(ir('s'), 0.1 + 0.2, 0.3)).toBe(true);
    expect(sameFeatureValue(ir('s'), 1, 1 + 1e-6)).toBe(false);
    expect(sameFeatureValue(ir('p'), 1, 1 + 1e-12)).toBe(false);
    expect(sameFeatureValue(ir('mean'), null, null)).toBe(true);
    expect(sameFeatureValue(ir('mean'), null, 0)).toBe(false);
    expect(sameFeatureValue(ir('recent'), ['a', 'b'], ['a', 'b'])).toBe(true);
    expect(sameFeatureValue(ir('recent'), ['a'], ['a', 'b'])).toBe(false);
  });
});
