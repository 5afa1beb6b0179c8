import type { Duration } from '../time/duration.js';
import type { Entity } from './entity.js';
import type { FeatureBuilder, FeatureSpec } from './feature-spec.js';
import type { DerivedRecord, DerivedValues, EventOf, Schema } from './schema.js';
import type { Source } from './source.js';

/** A feature view as written by users, before compilation. */
export interface FeatureViewDef {
  readonly kind: 'featureView';
  readonly name: string;
  readonly entity: Entity;
  readonly source: Source;
  readonly filter: ((event: never) => boolean) | undefined;
  readonly derive: DerivedRecord<never>;
  readonly features: (f: FeatureBuilder<never>) => Readonly<Record<string, FeatureSpec<unknown>>>;
  readonly owner: string | undefined;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly onlineTtl: Duration | undefined;
  readonly allowedLateness: Duration | undefined;
  readonly idleTimeout: Duration | undefined;
}

export interface FeatureViewOptions<S extends Schema, D extends DerivedRecord<EventOf<S>>> {
  readonly entity: Entity;
  readonly source: Source<S>;
  /** Keep only events for which this returns true (runs after `derive`). */
  readonly filter?: (event: EventOf<S> & DerivedValues<D>) => boolean;
  /** Extra fields computed from each event by plain functions. */
  readonly derive?: D;
  readonly features: (
    f: FeatureBuilder<EventOf<S> & DerivedValues<D>>,
  ) => Readonly<Record<string, FeatureSpec<unknown>>>;
  readonly owner?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** How long an entity's online values live after their last write (default: 7d). */
  readonly onlineTtl?: Duration;
  /** How far behind the maximum event time an event may arrive and still count (default: 5s). */
  readonly allowedLateness?: Duration;
  /** After this long without events, a partition stops holding the watermark back (default: 30s). */
  readonly idleTimeout?: Duration;
}

/**
 * Declares a feature view: an entity, a source, and features (aggregation × window).
 *
 * ```ts
 * export default featureView('card_velocity', {
 *   entity: card,
 *   source: transactions,
 *   features: (f) => ({ txn_count_5m: f.count().over('5m') }),
 * });
 * ```
 */
export function featureView<
  S extends Schema,
  D extends DerivedRecord<EventOf<S>> = Record<never, never>,
>(name: string, options: FeatureViewOptions<S, D>): FeatureViewDef {
  return {
    kind: 'featureView',
    name,
    entity: options.entity,
    source: options.source as unknown as Source,
    filter: options.filter,
    derive: options.derive ?? {},
    features: options.features as unknown as FeatureViewDef['features'],
    owner: options.owner,
    description: options.description,
    tags: [...(options.tags ?? [])],
    onlineTtl: options.onlineTtl,
    allowedLateness: options.allowedLateness,
    idleTimeout: options.idleTimeout,
  };
}

export function isFeatureViewDef(value: unknown): value is FeatureViewDef {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'featureView'
  );
}
