/**
 * The serving API contract, run against any online store holding values of a view (the unit
 * test seeds the in-memory store; the integration test uses Redis written by the real runtime).
 */
import { expect, it } from 'vitest';
import type { FeatureValue } from '../../src/core/aggregation/aggregator.js';
import type { CompiledService } from '../../src/core/topology/feature-service.js';
import type { ViewIR } from '../../src/core/topology/ir.js';
import type { OnlineStore } from '../../src/ports/online-store.js';
import { Auth } from '../../src/serving/auth.js';
import { Catalog } from '../../src/serving/catalog.js';
import { ServingMetrics } from '../../src/observability/serving-metrics.js';
import { FeatureReader } from '../../src/serving/feature-reader.js';
import { ServingApi } from '../../src/serving/http-api.js';

export interface ServingFixture {
  readonly online: OnlineStore;
  readonly view: ViewIR;
  readonly service: CompiledService;
  /** Entities with values, and their expected vectors (feature name → value) and as-of. */
  readonly entities: ReadonlyMap<string, { asOf: number; values: Record<string, FeatureValue> }>;
  /** Key field of the view's entity (for service requests). */
  readonly keyField: string;
}

const READ_TOKEN = 'reader-token-0123456789';
const OTHER_TOKEN = 'other-view-token-0123456789';
const PUSH_TOKEN = 'pusher-token-0123456789';

export function servingSuite(setup: () => Promise<ServingFixture>): void {
  const start = async (
    withAuth: boolean,
  ): Promise<{ base: string; fx: ServingFixture; close(): Promise<void>; pushed: unknown[][] }> => {
    const fx = await setup();
    const catalog = new Catalog(fx.online, [fx.view], [fx.service]);
    await catalog.registerServices();
    const pushed: unknown[][] = [];
    const metrics = new ServingMetrics({ defaultMetrics: false });
    const api = new ServingApi({
      reader: new FeatureReader(fx.online, catalog, Date.now, metrics.storeRead),
      observer: metrics.observer,
      metrics: () => metrics.text(),
      auth: new Auth(
        withAuth
          ? [
              { token: READ_TOKEN, read: [fx.view.name] },
              { token: OTHER_TOKEN, read: ['some_other_view'] },
              { token: PUSH_TOKEN, push: ['events_src'] },
            ]
          : [],
      ),
      sources: ['events_src'],
      push: (_source, events) => {
        pushed.push([...events]);
        const rejected = events.flatMap((e, index) =>
          typeof (e as { ok?: unknown }).ok === 'boolean'
            ? []
            : [{ index, reason: 'schema_violation: no ok' }],
        );
        return Promise.resolve({ accepted: events.length - rejected.length, rejected });
      },
      maxBodyBytes: 64 * 1024,
    });
    const srv = await api.listen(0, '127.0.0.1');
    return { base: `http://127.0.0.1:${srv.port}`, fx, close: () => srv.close(), pushed };
  };

  it('/metrics: request latency per route and status, errors, Redis read time', async () => {
    const s = await start(false);
    try {
      const [key] = [...s.fx.entities][0] ?? [''];
      const view = s.fx.view.name;
      expect((await fetch(`${s.base}/v1/features/${view}/${encodeURIComponent(key)}`)).status).toBe(
        200,
      );
      const batch = await fetch(`${s.base}/v1/features`, {
        method: 'POST',
        body: JSON.stringify({ requests: [{ view, entities: [key, 'nobody'] }] }),
      });
      expect(batch.status).toBe(200);
      expect((await fetch(`${s.base}/v1/features/no_such_view/x`)).status).toBe(404);
      const text = await (await fetch(`${s.base}/metrics`)).text();
      const sample = (name: string): number =>
        Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
      // One store read per answered request (the 404 never reads).
      expect(sample('featurestream_serving_redis_seconds_count')).toBe(2);
      expect(sample('featurestream_serving_redis_seconds_sum')).toBeGreaterThan(0);
      expect(text).toMatch(
        /featurestream_serving_request_seconds_count\{route="get_features",status="200"\} 1/,
      );
      expect(text).toMatch(
        /featurestream_serving_request_seconds_count\{route="post_features",status="200"\} 1/,
      );
      expect(text).toMatch(
        /featurestream_serving_errors_total\{route="get_features",status="404"\} 1/,
      );
    } finally {
      await s.close();
    }
  });

  it('GET one entity: values, asOf, version, staleness; ?features selects; ?version pins', async () => {
    const s = await start(false);
    try {
      const [key, want] = [...s.fx.entities][0] ?? ['', { asOf: 0, values: {} }];
      const r = await fetch(`${s.base}/v1/features/${s.fx.view.name}/${encodeURIComponent(key)}`);
      expect(r.status).toBe(200);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        view: s.fx.view.name,
        version: s.fx.view.version,
        entity: key,
        found: true,
        asOf: want.asOf,
      });
      expect(typeof body.stalenessMs).toBe('number');
      expect(body.features).toEqual(want.values);
      const names = Object.keys(want.values).slice(0, 2);
      const sel = (await (
        await fetch(
          `${s.base}/v1/features/${s.fx.view.name}/${encodeURIComponent(key)}?features=${names.join(',')}&version=${s.fx.view.version}`,
        )
      ).json()) as { features: object };
      expect(Object.keys(sel.features)).toEqual(names);
      const bad = await fetch(
        `${s.base}/v1/features/${s.fx.view.name}/${encodeURIComponent(key)}?version=000000000000`,
      );
      expect(bad.status).toBe(404);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe(
        'UNKNOWN_VERSION',
      );
    } finally {
      await s.close();
    }
  });

  it('missing entity → found: false; unknown view / feature → 404 naming it', async () => {
    const s = await start(false);
    try {
      const r = (await (
        await fetch(`${s.base}/v1/features/${s.fx.view.name}/no-such-entity`)
      ).json()) as { found: boolean; asOf: null };
      expect(r.found).toBe(false);
      expect(r.asOf).toBeNull();
      const v = await fetch(`${s.base}/v1/features/nope_view/x`);
      expect(v.status).toBe(404);
      expect(((await v.json()) as { error: { message: string } }).error.message).toContain(
        "'nope_view'",
      );
      const f = await fetch(`${s.base}/v1/features/${s.fx.view.name}/x?features=nope_feature`);
      expect(f.status).toBe(404);
      expect(((await f.json()) as { error: { message: string } }).error.message).toContain(
        "'nope_feature'",
      );
    } finally {
      await s.close();
    }
  });

  it('POST batch: many entities, results in request order, one call', async () => {
    const s = await start(false);
    try {
      const keys = [...s.fx.entities.keys()];
      const asked = [...keys, 'missing-1', ...keys.slice(0, 2)];
      const r = await fetch(`${s.base}/v1/features`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          requests: [
            { view: s.fx.view.name, entities: asked },
            {
              view: s.fx.view.name,
              entities: keys.slice(0, 1),
              features: [Object.keys(s.fx.entities.get(keys[0] ?? '')?.values ?? {})[0]],
            },
          ],
        }),
      });
      expect(r.status).toBe(200);
      const body = (await r.json()) as {
        results: { entities: { entity: string; found: boolean; features: object }[] }[];
      };
      expect(body.results).toHaveLength(2);
      expect(body.results[0]?.entities.map((e) => e.entity)).toEqual(asked);
      body.results[0]?.entities.forEach((e) => {
        const want = s.fx.entities.get(e.entity);
        expect(e.found).toBe(want !== undefined);
        if (want !== undefined) expect(e.features).toEqual(want.values);
      });
      expect(Object.keys(body.results[1]?.entities[0]?.features ?? {})).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('feature service: fixed order vectors; pinned version; unknown service 404', async () => {
    const s = await start(false);
    try {
      const keys = [...s.fx.entities.keys()].slice(0, 3);
      const r = await fetch(
        `${s.base}/v1/feature-services/${s.fx.service.name}?version=${s.fx.service.version}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ entities: keys.map((k) => ({ [s.fx.keyField]: k })) }),
        },
      );
      expect(r.status).toBe(200);
      const body = (await r.json()) as {
        version: string;
        features: string[];
        vectors: FeatureValue[][];
      };
      expect(body.version).toBe(s.fx.service.version);
      expect(body.features).toEqual(s.fx.service.refs.map((x) => x.name));
      keys.forEach((k, i) => {
        const want = s.fx.entities.get(k)?.values ?? {};
        expect(body.vectors[i]).toEqual(s.fx.service.refs.map((ref) => want[ref.feature]));
      });
      expect(
        (
          await fetch(`${s.base}/v1/feature-services/nope`, {
            method: 'POST',
            body: '{"entities":[]}',
          })
        ).status,
      ).toBe(404);
      const missingKey = await fetch(`${s.base}/v1/feature-services/${s.fx.service.name}`, {
        method: 'POST',
        body: JSON.stringify({ entities: [{ wrong: 'x' }] }),
      });
      expect(missingKey.status).toBe(400);
    } finally {
      await s.close();
    }
  });

  it('malformed, oversized and hostile input: clear 4xx, nothing reaches the store as a pattern', async () => {
    const s = await start(false);
    try {
      const post = (path: string, body: string): Promise<Response> =>
        fetch(`${s.base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
      const malformed = await post('/v1/features', '{"requests": [');
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe(
        'MALFORMED_JSON',
      );
      expect((await post('/v1/features', '{"requests": [{"view": 3}]}')).status).toBe(400);
      expect(
        (
          await post(
            '/v1/features',
            JSON.stringify({ requests: [{ view: s.fx.view.name, entities: 'x' }] }),
          )
        ).status,
      ).toBe(400);
      expect(
        (
          await post(
            '/v1/features',
            JSON.stringify({
              requests: [{ view: s.fx.view.name, entities: ['x'.repeat(100_000)] }],
            }),
          )
        ).status,
      ).toBe(413);
      for (const hostile of [
        '*',
        '\r\nFLUSHALL\r\n',
        'x'.repeat(10_000),
        'a*b?c[d]',
        '{tag}',
        '%',
        "'; DROP TABLE x; --",
      ]) {
        const one = await fetch(
          `${s.base}/v1/features/${s.fx.view.name}/${encodeURIComponent(hostile)}`,
        );
        const body = (await one.json()) as { found?: boolean; error?: { code: string } };
        if (hostile.length > 1024) {
          expect(one.status).toBe(400);
          expect(body.error?.code).toBe('BAD_ENTITY');
        } else {
          expect(one.status, hostile).toBe(200);
          expect(body.found).toBe(false);
        }
      }
      // The store still answers for real entities after the hostile ids.
      const [key] = [...s.fx.entities.keys()];
      expect(
        (
          (await (
            await fetch(`${s.base}/v1/features/${s.fx.view.name}/${encodeURIComponent(key ?? '')}`)
          ).json()) as { found: boolean }
        ).found,
      ).toBe(true);
      expect((await fetch(`${s.base}/v1/nothing-here`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('auth: allowed, missing token, unknown token, wrong scope, push scope', async () => {
    const s = await start(true);
    try {
      const [key] = [...s.fx.entities.keys()];
      const url = `${s.base}/v1/features/${s.fx.view.name}/${encodeURIComponent(key ?? '')}`;
      expect(
        (await fetch(url, { headers: { authorization: `Bearer ${READ_TOKEN}` } })).status,
      ).toBe(200);
      expect((await fetch(url)).status).toBe(401);
      expect(
        (await fetch(url, { headers: { authorization: 'Bearer not-a-real-token-at-all' } })).status,
      ).toBe(401);
      const wrong = await fetch(url, { headers: { authorization: `Bearer ${OTHER_TOKEN}` } });
      expect(wrong.status).toBe(403);
      expect(((await wrong.json()) as { error: { message: string } }).error.message).toContain(
        s.fx.view.name,
      );
      const push = (token: string): Promise<Response> =>
        fetch(`${s.base}/v1/push/events_src`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify([{ ok: true }, { nope: 1 }]),
        });
      expect((await push(READ_TOKEN)).status).toBe(403);
      const okPush = await push(PUSH_TOKEN);
      expect(okPush.status).toBe(200);
      expect(await okPush.json()).toEqual({
        accepted: 1,
        rejected: [{ index: 1, reason: 'schema_violation: no ok' }],
      });
      expect(s.pushed).toHaveLength(1);
      expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
}
