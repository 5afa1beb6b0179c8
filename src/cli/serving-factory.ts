import { codecFor } from '../adapters/codecs.js';
import type { Config } from '../config/config.js';
import type { CompiledService } from '../core/topology/feature-service.js';
import type { CompiledView } from '../core/topology/compile.js';
import { FeatureProducer } from '../engine/feature-producer.js';
import { ServingMetrics } from '../observability/serving-metrics.js';
import type { EventProducer } from '../ports/event-producer.js';
import type { OnlineStore } from '../ports/online-store.js';
import { Auth } from '../serving/auth.js';
import { Catalog } from '../serving/catalog.js';
import { FeatureReader } from '../serving/feature-reader.js';
import { ServingApi } from '../serving/http-api.js';
import type { Pusher } from '../serving/http-api.js';

export interface Serving {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Wires the serving API: catalog (views, services, registered versions), reader over the online
 * store, optional push to the sources' topics, auth from FS_SERVE_TOKENS_FILE, metrics.
 */
export async function startServing(
  config: Config,
  online: OnlineStore,
  topologies: { views: readonly CompiledView[]; services: readonly CompiledService[] },
  options: { port: number; host?: string; producer?: EventProducer | undefined },
): Promise<Serving> {
  const catalog = new Catalog(
    online,
    topologies.views.map((v) => v.ir),
    topologies.services,
  );
  await catalog.registerServices();
  const metrics = new ServingMetrics();
  const producers = new Map<string, FeatureProducer>();
  const producer = options.producer;
  if (producer !== undefined) {
    for (const view of topologies.views) {
      const source = view.ir.source;
      if (producers.has(source.name)) continue;
      producers.set(
        source.name,
        new FeatureProducer(source, codecFor(source), producer, {
          view,
          bounds: { minEventTime: config.minEventTime, maxFutureMs: config.maxFutureMs },
        }),
      );
    }
  }
  const push: Pusher | undefined =
    producer === undefined
      ? undefined
      : async (sourceName, events) => {
          const p = producers.get(sourceName);
          if (p === undefined)
            return {
              accepted: 0,
              rejected: events.map((_, index) => ({ index, reason: 'unknown source' })),
            };
          const r = await p.send(events);
          return {
            accepted: r.sent,
            rejected: r.rejected.map((x) => ({
              index: x.index,
              reason: `${x.reason}: ${x.detail}`,
            })),
          };
        };
  const tokensFile = process.env.FS_SERVE_TOKENS_FILE;
  const api = new ServingApi({
    reader: new FeatureReader(online, catalog, Date.now, metrics.storeRead),
    auth: tokensFile === undefined || tokensFile === '' ? new Auth([]) : Auth.fromFile(tokensFile),
    push,
    sources: [...producers.keys()],
    observer: metrics.observer,
    metrics: () => metrics.text(),
    ready: () => online.ping(),
  });
  const host = options.host ?? '0.0.0.0';
  const srv = await api.listen(options.port, host);
  return {
    port: srv.port,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${srv.port}`,
    close: () => srv.close(),
  };
}
