/**
 * featurestream/client — a typed client of the serving API (README "Serving API"). It batches
 * concurrent single-entity reads into one `POST /v1/features` call, applies a timeout to every
 * call, and raises `FeatureClientError` with the server's error code.
 *
 * ```ts
 * const fs = new FeatureClient({ baseUrl: 'http://localhost:8080', timeoutMs: 50 });
 * const card = await fs.getFeatures('card_fraud', 'card-000123');
 * const { vectors } = await fs.getService('fraud_model', [{ card_id: 'card-000123', customer_id: 'cust-000061' }]);
 * ```
 */
export type FeatureValue =
  number | string | boolean | readonly (number | string | boolean)[] | null;

export interface EntityFeatures {
  readonly view: string;
  readonly version: string;
  readonly entity: string;
  readonly found: boolean;
  readonly asOf: number | null;
  readonly updatedAt: number | null;
  readonly stalenessMs: number | null;
  readonly features: Readonly<Record<string, FeatureValue>>;
}

export interface ViewRequest {
  readonly view: string;
  readonly entities: readonly string[];
  readonly features?: readonly string[];
  readonly version?: string;
}

export interface ViewResult {
  readonly view: string;
  readonly version: string;
  readonly entities: readonly Omit<EntityFeatures, 'view' | 'version'>[];
}

export interface ServiceResult {
  readonly service: string;
  readonly version: string;
  readonly features: readonly string[];
  readonly vectors: readonly (readonly FeatureValue[])[];
}

export interface ClientOptions {
  readonly baseUrl: string;
  /** Bearer token (when the server has FS_SERVE_TOKENS_FILE). */
  readonly token?: string;
  /** Per-call timeout (default 1,000 ms). */
  readonly timeoutMs?: number;
  /** How long single reads wait to be batched (default 0: same tick only). */
  readonly batchWindowMs?: number;
  /** Entities per batched call (default 100; the server accepts up to 1,000). */
  readonly maxBatch?: number;
}

export class FeatureClientError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'FeatureClientError';
  }
}

interface Pending {
  readonly entity: string;
  readonly resolve: (v: EntityFeatures) => void;
  readonly reject: (e: Error) => void;
}

export class FeatureClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly window: number;
  private readonly maxBatch: number;
  private readonly queues = new Map<
    string,
    { request: Omit<ViewRequest, 'entities'>; pending: Pending[] }
  >();
  private scheduled = false;

  constructor(private readonly options: ClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.window = options.batchWindowMs ?? 0;
    this.maxBatch = Math.min(1_000, options.maxBatch ?? 100);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timeout =
        err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new FeatureClientError(
        timeout
          ? `timed out after ${this.timeoutMs} ms: ${method} ${path}`
          : `${method} ${path}: ${err instanceof Error ? err.message : String(err)}`,
        0,
        timeout ? 'TIMEOUT' : 'NETWORK',
      );
    }
    const json = (await res.json().catch(() => ({}))) as T & {
      error?: { code: string; message: string };
    };
    if (!res.ok)
      throw new FeatureClientError(
        json.error?.message ?? `HTTP ${res.status}`,
        res.status,
        json.error?.code ?? 'HTTP_ERROR',
      );
    return json;
  }

  /** One entity's features. Concurrent calls for the same view/version/selection share a request. */
  getFeatures(
    view: string,
    entity: string,
    options: { features?: readonly string[]; version?: string } = {},
  ): Promise<EntityFeatures> {
    const id = JSON.stringify([view, options.version ?? null, options.features ?? null]);
    let q = this.queues.get(id);
    if (q === undefined) {
      q = {
        request: {
          view,
          ...(options.features === undefined ? {} : { features: options.features }),
          ...(options.version === undefined ? {} : { version: options.version }),
        },
        pending: [],
      };
      this.queues.set(id, q);
    }
    const queue = q;
    return new Promise<EntityFeatures>((resolve, reject) => {
      queue.pending.push({ entity, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        const flush = (): void => this.flush();
        if (this.window > 0) setTimeout(flush, this.window);
        else queueMicrotask(flush);
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queues = [...this.queues.values()];
    this.queues.clear();
    for (const q of queues) {
      for (let i = 0; i < q.pending.length; i += this.maxBatch) {
        const part = q.pending.slice(i, i + this.maxBatch);
        this.getMany([{ ...q.request, entities: part.map((p) => p.entity) }]).then(
          ([result]) => {
            part.forEach((p, j) => {
              const e = result?.entities[j];
              if (result === undefined || e === undefined)
                p.reject(new FeatureClientError('short response', 500, 'BAD_RESPONSE'));
              else p.resolve({ view: result.view, version: result.version, ...e });
            });
          },
          (err: unknown) => {
            for (const p of part) p.reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      }
    }
  }

  /** Many entities across views in one call (results in request order). */
  async getMany(requests: readonly ViewRequest[]): Promise<ViewResult[]> {
    return (await this.call<{ results: ViewResult[] }>('POST', '/v1/features', { requests }))
      .results;
  }

  /** A feature service's vectors, in the service's fixed feature order. */
  getService(
    name: string,
    entities: readonly Record<string, string | number>[],
    options: { version?: string } = {},
  ): Promise<ServiceResult> {
    const q =
      options.version === undefined ? '' : `?version=${encodeURIComponent(options.version)}`;
    return this.call<ServiceResult>(
      'POST',
      `/v1/feature-services/${encodeURIComponent(name)}${q}`,
      { entities },
    );
  }

  /** Pushes events to a source (validated by the server). */
  push(
    source: string,
    events: readonly object[],
  ): Promise<{ accepted: number; rejected: { index: number; reason: string }[] }> {
    return this.call('POST', `/v1/push/${encodeURIComponent(source)}`, events);
  }
}
