import { PartitionRuntime } from './partition-runtime.js';
import { RecordRuntime, recordEligible } from './record-runtime.js';
import type { ViewPlan } from './view-plan.js';
import type { ViewRuntime } from './view-runtime.js';

/** Which runtime holds a view's entities: `auto` picks records wherever the view allows them. */
export type RuntimeKind = 'auto' | 'object' | 'record';

/** A view runtime for one partition (`view-runtime.ts`): records when eligible, else objects. */
export function createRuntime(plan: ViewPlan, kind: RuntimeKind = 'auto'): ViewRuntime {
  if (kind === 'object' || (kind === 'auto' && !recordEligible(plan)))
    return new PartitionRuntime(plan);
  return new RecordRuntime(plan);
}
