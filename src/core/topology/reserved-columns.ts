/**
 * Column names the offline store adds to user columns — one source of truth for the ClickHouse
 * layout (adapters/clickhouse/tables.ts) and for the DSL, which refuses user names that would
 * collide with them (`DSL_BAD_NAME`).
 */

/** The archive's event-time column (`events_{source}`). */
export const EVENT_TIME_COLUMN = 'event_time';

/** The archive's coordinates of an event, after its event time (`events_{source}`). */
export const ARCHIVE_COLUMNS = [
  '_topic',
  '_partition',
  '_offset',
  '_late',
  '_ingested_at',
] as const;

/** Columns of every history row besides the entity keys and the features (`features_{view}`). */
export const HISTORY_COLUMNS = ['version', 'as_of', '_written_at'] as const;

/** Names a source field may not take: they would clash in `events_{source}`. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([
  EVENT_TIME_COLUMN,
  ...ARCHIVE_COLUMNS,
]);

/**
 * Names an entity key or a feature may not take: the history columns would clash in
 * `features_{view}`; `event_time` stays the archive's event time wherever both are queried.
 */
export const RESERVED_VIEW_NAMES: ReadonlySet<string> = new Set([
  ...HISTORY_COLUMNS,
  EVENT_TIME_COLUMN,
]);
