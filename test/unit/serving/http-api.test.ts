import { describe } from 'vitest';
import { MemoryOnlineStore } from '../../../src/adapters/memory/memory-online-store.js';
import { compileService, featureService } from '../../../src/core/topology/feature-service.js';
import { compileView } from '../../../src/core/topology/compile.js';
import cardFraud from '../../../topologies/card-fraud.js';
import { servingSuite } from '../../support/serving-suite.js';
import type { FeatureValue } from '../../../src/core/aggregation/aggregator.js';

describe('serving API on the in-memory online store', () => {
  servingSuite(async () => {
    const view = compileView(cardFraud);
    const online = new MemoryOnlineStore();
    await online.register('view', view.name, view.version, view.ir, true);
    const entities = new Map<string, { asOf: number; values: Record<string, FeatureValue> }>();
    const writes = ['card-1', 'card-2', 'card|3', 'card-4'].map((key, i) => {
      const values: FeatureValue[] = view.ir.features.map((f) =>
        f.valueType.list
          ? [i, i + 1]
          : f.valueType.base === 'string'
            ? `v${i}`
            : f.valueType.nullable && i === 1
              ? null
              : i * 10 + 0.5,
      );
      entities.set(key, {
        asOf: 1_700_000_000_000 + i,
        values: Object.fromEntries(view.ir.features.map((f, j) => [f.name, values[j] ?? null])),
      });
      return {
        key,
        asOf: 1_700_000_000_000 + i,
        values,
        state: new Uint8Array([1]),
        isNew: true,
        fence: i,
        partition: 0,
      };
    });
    await online.writeEntities(
      {
        view: view.name,
        version: view.version,
        features: view.ir.features.map((f) => f.name),
        ttlMs: 60_000,
      },
      writes,
      Date.now(),
    );
    const service = compileService(
      featureService('test_model', {
        features: [
          { view: cardFraud, feature: 'txn_count_5m' },
          { view: cardFraud, feature: 'last_country' },
          { view: cardFraud, feature: 'amount_mean_1h' },
        ],
      }),
      new Map([[view.name, view]]),
    );
    return { online, view: view.ir, service, entities, keyField: 'card_id' };
  });
});
