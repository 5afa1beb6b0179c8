/** featurestream public API: define topologies; errors. Named exports only. */
export { entity } from './core/topology/entity.js';
export type { Entity } from './core/topology/entity.js';
export { source } from './core/topology/source.js';
export type { Source, SourceFormat } from './core/topology/source.js';
export { field, derived } from './core/topology/schema.js';
export type { FieldType, FieldSpec, Schema, EventOf } from './core/topology/schema.js';
export { featureView } from './core/topology/feature-view.js';
export type { FeatureViewDef, FeatureViewOptions } from './core/topology/feature-view.js';
export { EVENT_TIME } from './core/topology/feature-spec.js';
export type { FeatureBuilder, FeatureSpec, Aggregation } from './core/topology/feature-spec.js';
export { compileView, VIEW_DEFAULTS } from './core/topology/compile.js';
export type { CompiledView } from './core/topology/compile.js';
export type { ViewIR, FeatureIR, WindowIR } from './core/topology/ir.js';
export type { FeatureValue, Scalar, AggOp } from './core/aggregation/aggregator.js';
export { FeatureStreamError } from './core/errors.js';
export type { ErrorDomain } from './core/errors.js';
export type { Duration } from './core/time/duration.js';
export { featureService } from './core/topology/feature-service.js';
export type {
  FeatureServiceDef,
  FeatureRefSpec,
  CompiledService,
  FeatureRef,
} from './core/topology/feature-service.js';
