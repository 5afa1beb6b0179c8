import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryOnlineStore } from '../../../src/adapters/memory/memory-online-store.js';
import { FeatureClient, FeatureClientError } from '../../../src/client/index.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { compileService, featureService } from '../../../src/core/topology/feature-service.js';
import { Auth } from '../../../src/serving/auth.js';
import { Catalog } from '../../../src/serving/catalog.js';
import { FeatureReader } from '../../../src/serving/feature-reader.js';
import { ServingApi } from '../../../src/serving/http-api.js';
import cardFraud from '../../../topologies/card-fraud.js';

describe('featurestream/client', () => {
  const view = compileView(cardFraud);
  const calls: string[] = [];
  let base = '';
  let close: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    const online = new MemoryOnlineStore();
    await online.register('view', view.name, view.version, view.ir, true);
    const features = view.ir.features.map((f) => f.name);
    await online.writeEntities(
      { view: view.name, version: view.version, features, ttlMs: 60_000 },
      Array.from({ length: 250 }, (_, i) => ({
        key: `card-${i}`,
        asOf: 1_000 + i,
        values: view.ir.features.map((f) =>
          f.valueType.list ? [] : f.valueType.base === 'string' ? 'US' : i,
        ),
        state: new Uint8Array([1]),
        isNew: true,
        fence: i,
        partition: 0,
      })),
      5,
    );
    const service = compileService(
      featureService('m', {
        features: [
          { view: cardFraud, feature: 'txn_count_5m' },
          { view: cardFraud, feature: 'last_country' },
        ],
      }),
      new Map([[view.name, view]]),
    );
    const api = new ServingApi({
      reader: new FeatureReader(online, new Catalog(online, [view.ir], [service])),
      auth: new Auth([{ token: 'client-test-token-123456', read: ['*'] }]),
      observer: { request: (route) => calls.push(route) },
    });
    const srv = await api.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${srv.port}`;
    close = () => srv.close();
  });
  afterAll(() => close());

  it('batches concurrent single reads into one call per 100 entities, results matched to callers', async () => {
    const client = new FeatureClient({ baseUrl: base, token: 'client-test-token-123456' });
    calls.length = 0;
    const got = await Promise.all(
      Array.from({ length: 250 }, (_, i) => client.getFeatures('card_fraud', `card-${i}`)),
    );
    expect(calls).toEqual(['post_features', 'post_features', 'post_features']);
    got.forEach((g, i) => {
      expect(g.entity).toBe(`card-${i}`);
      expect(g.version).toBe(view.version);
      expect(g.features.txn_count_5m).toBe(i);
      expect(g.asOf).toBe(1_000 + i);
    });
    const missing = await client.getFeatures('card_fraud', 'nobody');
    expect(missing.found).toBe(false);
  });

  it('feature services, typed errors, auth', async () => {
    const client = new FeatureClient({ baseUrl: base, token: 'client-test-token-123456' });
    const svc = await client.getService('m', [{ card_id: 'card-7' }]);
    expect(svc.vectors).toEqual([[7, 'US']]);
    await expect(client.getFeatures('no_view', 'x')).rejects.toMatchObject({
      status: 404,
      code: 'UNKNOWN_VIEW',
    });
    await expect(
      new FeatureClient({ baseUrl: base }).getFeatures('card_fraud', 'card-1'),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('times out a call that takes longer than timeoutMs', async () => {
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const client = new FeatureClient({
      baseUrl: `http://127.0.0.1:${(hang.address() as AddressInfo).port}`,
      timeoutMs: 150,
    });
    const t0 = Date.now();
    const err = await client.getFeatures('card_fraud', 'card-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeatureClientError);
    expect((err as FeatureClientError).code).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(2_000);
    hang.closeAllConnections();
    await new Promise((r) => hang.close(r));
  });
});
