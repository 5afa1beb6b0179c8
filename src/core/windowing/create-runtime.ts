import { PartitionRuntime } from './partition-runtime.js';
import { RecordRuntime } from './record-runtime.js';
import type { ViewPlan } from './view-plan.js';
import type { ViewRuntime } from './view-runtime.js';

/** Which runtime holds a view's entities: `auto` is the one the engine uses (records). */
export type RuntimeKind = 'auto' | 'object' | 'record';
const KINDS: readonly RuntimeKind[] = ['auto', 'object', 'record'];

/** A runtime kind from a command-line value (`--runtime`), or an error naming the choices. */
export function runtimeKind(text: string): RuntimeKind {
  const kind = KINDS.find((k) => k === text);
  if (kind === undefined)
    throw new Error(`--runtime: unknown runtime '${text}' (${KINDS.join(', ')})`);
  return kind;
}

/** A view runtime for one partition (`view-runtime.ts`). */
export function createRuntime(plan: ViewPlan, kind: RuntimeKind = 'auto'): ViewRuntime {
  return kind === 'object' ? new PartitionRuntime(plan) : new RecordRuntime(plan);
}
