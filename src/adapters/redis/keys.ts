import { keySlot, tagForSlot } from './cluster-slot.js';

/**
 * The one key builder of the Redis layout (README "Redis layout").
 * Public (contract):
 * - `fs:{view}:{version}:{entity}` — hash: one field per feature, `_asof`, `_updated`
 * - `fs:{view}:current` — string: the version `run` writes and serving returns by default
 * - `fs:{view}:versions` — hash: version → the view's IR (JSON), one entry per version ever run
 * - `fs:_svc:{service}:current`, `fs:_svc:{service}:versions` — the same for feature services
 * Engine-private (prefix `fsx:`, may change between releases):
 * - `fsx:{<slot tag>}:{view}:{version}:{entity}` — hash: `s` state bytes, `f` fence, `a` as-of;
 *   the slot tag puts it in the same cluster slot as the public key
 * - `fsx:{view}:{version}:p:{partition}` — set: entities of one source partition
 */
export const PUBLIC_PREFIX = 'fs';
export const PRIVATE_PREFIX = 'fsx';

export function vectorKey(view: string, version: string, entity: string): string {
  return `${PUBLIC_PREFIX}:${view}:${version}:${entity}`;
}

export function currentVersionKey(view: string): string {
  return `${PUBLIC_PREFIX}:${view}:current`;
}

/** Registry: `fs:{view}:versions` / `fs:_svc:{service}:versions` (hash version → JSON definition). */
export function versionsKey(kind: 'view' | 'service', name: string): string {
  return kind === 'view'
    ? `${PUBLIC_PREFIX}:${name}:versions`
    : `${PUBLIC_PREFIX}:_svc:${name}:versions`;
}

/** Current version pointer: `fs:{view}:current` / `fs:_svc:{service}:current`. */
export function currentKey(kind: 'view' | 'service', name: string): string {
  return kind === 'view' ? currentVersionKey(name) : `${PUBLIC_PREFIX}:_svc:${name}:current`;
}

export function stateKey(view: string, version: string, entity: string): string {
  const tag = tagForSlot(keySlot(vectorKey(view, version, entity)));
  return `${PRIVATE_PREFIX}:{${tag}}:${view}:${version}:${entity}`;
}

export function partitionIndexKey(view: string, version: string, partition: number): string {
  return `${PRIVATE_PREFIX}:${view}:${version}:p:${partition}`;
}
