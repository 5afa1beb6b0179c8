import type { AggOp, AggParams, FeatureValue } from '../aggregation/aggregator.js';
import type { Duration } from '../time/duration.js';

/** The special field name that refers to an event's event time (a timestamp). */
export const EVENT_TIME = '$time';

export type WindowSpec =
  | { readonly kind: 'sliding'; readonly size: Duration; readonly tile: Duration | undefined }
  | { readonly kind: 'tumbling'; readonly size: Duration }
  | { readonly kind: 'lifetime' };

export interface AggSpec {
  readonly op: AggOp;
  readonly field: string | null;
  readonly params: AggParams;
}

/** A feature = an aggregation over a window, optionally post-processed by `map`. */
export interface FeatureSpec<Out = FeatureValue> {
  readonly kind: 'feature';
  readonly agg: AggSpec;
  readonly window: WindowSpec;
  readonly mapFn: ((value: never) => FeatureValue) | undefined;
  readonly doc: string | undefined;
  /** Post-processes the finalized value (e.g. the gap between the last two event times). */
  map<R extends FeatureValue>(fn: (value: Out) => R): FeatureSpec<R>;
  describe(doc: string): FeatureSpec<Out>;
}

/** An aggregation waiting for its window. */
export interface Aggregation<Out> {
  /** Sliding window of `size`, assembled from tiles (default tile: see semantics). */
  over(size: Duration, options?: { tile?: Duration }): FeatureSpec<Out>;
  /** Tumbling windows of `size`: one value per closed window. */
  every(size: Duration): FeatureSpec<Out>;
  /** All events so far. */
  lifetime(): FeatureSpec<Out>;
}

function featureSpec<Out>(
  agg: AggSpec,
  window: WindowSpec,
  mapFn: ((value: never) => FeatureValue) | undefined,
  doc: string | undefined,
): FeatureSpec<Out> {
  return {
    kind: 'feature',
    agg,
    window,
    mapFn,
    doc,
    map: <R extends FeatureValue>(fn: (value: Out) => R) => featureSpec<R>(agg, window, fn, doc),
    describe: (d: string) => featureSpec<Out>(agg, window, mapFn, d),
  };
}

export function aggregation<Out>(
  op: AggOp,
  field: string | null,
  params: AggParams = {},
): Aggregation<Out> {
  const agg: AggSpec = { op, field, params };
  return {
    over: (size, options) =>
      featureSpec(agg, { kind: 'sliding', size, tile: options?.tile }, undefined, undefined),
    every: (size) => featureSpec(agg, { kind: 'tumbling', size }, undefined, undefined),
    lifetime: () => featureSpec(agg, { kind: 'lifetime' }, undefined, undefined),
  };
}

type Keys<E, V> = { [K in keyof E]-?: E[K] extends V ? K : never }[keyof E] & string;
type NumericField<E> = Keys<E, number | null>;
type ScalarField<E> = Keys<E, string | number | boolean | null> | typeof EVENT_TIME;
type DistinctField<E> = Keys<E, string | number | null>;
type ValueOf<E, F> = F extends keyof E ? Exclude<E[F], null> : number;

/**
 * The typed aggregation builder handed to `features: (f) => ({ ... })`. Field arguments are
 * checked against the event type (source schema plus derived fields) and completed by editors.
 */
export interface FeatureBuilder<E> {
  /** Number of events. */
  count(): Aggregation<number>;
  sum(field: NumericField<E>): Aggregation<number>;
  mean(field: NumericField<E>): Aggregation<number | null>;
  min<F extends NumericField<E>>(field: F): Aggregation<number | null>;
  max<F extends NumericField<E>>(field: F): Aggregation<number | null>;
  /** Population variance. */
  variance(field: NumericField<E>): Aggregation<number | null>;
  /** Population standard deviation. */
  stddev(field: NumericField<E>): Aggregation<number | null>;
  /** Approximate distinct count (HyperLogLog; exact while small). */
  distinctCount(field: DistinctField<E>): Aggregation<number>;
  /** Approximate quantile (DDSketch, 1% relative error by default). */
  quantile(
    field: NumericField<E>,
    q: number,
    options?: { relativeAccuracy?: number },
  ): Aggregation<number | null>;
  first<F extends ScalarField<E>>(field: F): Aggregation<ValueOf<E, F> | null>;
  last<F extends ScalarField<E>>(field: F): Aggregation<ValueOf<E, F> | null>;
  /** The `n` most recent values, newest first. */
  lastN<F extends ScalarField<E>>(field: F, n: number): Aggregation<ValueOf<E, F>[]>;
  /** The event-time pseudo-field, usable wherever a field is (e.g. `f.lastN(f.eventTime, 2)`). */
  readonly eventTime: typeof EVENT_TIME;
}

/** The runtime builder; its types come from `FeatureBuilder<E>`. */
export function featureBuilder<E>(): FeatureBuilder<E> {
  return {
    count: () => aggregation('count', null),
    sum: (f) => aggregation('sum', f),
    mean: (f) => aggregation('mean', f),
    min: (f) => aggregation('min', f),
    max: (f) => aggregation('max', f),
    variance: (f) => aggregation('variance', f),
    stddev: (f) => aggregation('stddev', f),
    distinctCount: (f) => aggregation('distinctCount', f),
    quantile: (f, q, o) =>
      aggregation(
        'quantile',
        f,
        o?.relativeAccuracy === undefined ? { q } : { q, relativeAccuracy: o.relativeAccuracy },
      ),
    first: (f) => aggregation('first', f),
    last: (f) => aggregation('last', f),
    lastN: (f, n) => aggregation('lastN', f, { n }),
    eventTime: EVENT_TIME,
  };
}
