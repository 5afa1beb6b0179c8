/**
 * Field types of a source schema and their TypeScript counterparts. A schema is a record of
 * field specs: `{ card_id: field.string(), amount: field.double(), ts: field.timestamp() }`.
 * Timestamps are epoch milliseconds (UTC) in events; codecs also accept ISO-8601 strings.
 */
export type FieldType = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'timestamp';

export interface FieldSpec<T extends FieldType = FieldType, N extends boolean = boolean> {
  readonly type: T;
  readonly nullable: N;
  readonly doc: string | undefined;
  /** The same field, allowed to be null or absent. */
  optional(): FieldSpec<T, true>;
  /** The same field with a description (shown in the catalog). */
  describe(doc: string): FieldSpec<T, N>;
}

export type Schema = Readonly<Record<string, FieldSpec>>;

export type TsType<T extends FieldType> = T extends 'string'
  ? string
  : T extends 'boolean'
    ? boolean
    : number;

/** The event type a schema describes. */
export type EventOf<S extends Schema> = {
  readonly [K in keyof S]: S[K] extends FieldSpec<infer T, infer N>
    ? N extends true
      ? TsType<T> | null
      : TsType<T>
    : never;
};

function spec<T extends FieldType, N extends boolean>(
  type: T,
  nullable: N,
  doc: string | undefined,
): FieldSpec<T, N> {
  return {
    type,
    nullable,
    doc,
    optional: () => spec(type, true, doc),
    describe: (d: string) => spec(type, nullable, d),
  };
}

/** Field builders for source schemas and derived fields. */
export const field = {
  string: (): FieldSpec<'string', false> => spec('string', false, undefined),
  int: (): FieldSpec<'int', false> => spec('int', false, undefined),
  long: (): FieldSpec<'long', false> => spec('long', false, undefined),
  double: (): FieldSpec<'double', false> => spec('double', false, undefined),
  boolean: (): FieldSpec<'boolean', false> => spec('boolean', false, undefined),
  timestamp: (): FieldSpec<'timestamp', false> => spec('timestamp', false, undefined),
} as const;

export const NUMERIC_TYPES: ReadonlySet<FieldType> = new Set(['int', 'long', 'double']);

/** A derived field: a plain function over the event, with a declared type. */
export interface DerivedSpec<E, T extends FieldType = FieldType, N extends boolean = boolean> {
  readonly type: T;
  readonly nullable: N;
  readonly fn: (event: E) => N extends true ? TsType<T> | null : TsType<T>;
}

export type DerivedRecord<E> = Readonly<Record<string, DerivedSpec<E>>>;

export type DerivedValues<D> = {
  readonly [K in keyof D]: D[K] extends DerivedSpec<never, infer T, infer N>
    ? N extends true
      ? TsType<T> | null
      : TsType<T>
    : never;
};

/** Builders for derived fields: `derived.double((e) => e.amount * 100)`. */
export const derived = {
  string: <E>(fn: (event: E) => string): DerivedSpec<E, 'string', false> => ({
    type: 'string',
    nullable: false,
    fn,
  }),
  double: <E>(fn: (event: E) => number): DerivedSpec<E, 'double', false> => ({
    type: 'double',
    nullable: false,
    fn,
  }),
  long: <E>(fn: (event: E) => number): DerivedSpec<E, 'long', false> => ({
    type: 'long',
    nullable: false,
    fn,
  }),
  boolean: <E>(fn: (event: E) => boolean): DerivedSpec<E, 'boolean', false> => ({
    type: 'boolean',
    nullable: false,
    fn,
  }),
  timestamp: <E>(fn: (event: E) => number): DerivedSpec<E, 'timestamp', false> => ({
    type: 'timestamp',
    nullable: false,
    fn,
  }),
  optional: {
    string: <E>(fn: (event: E) => string | null): DerivedSpec<E, 'string', true> => ({
      type: 'string',
      nullable: true,
      fn,
    }),
    double: <E>(fn: (event: E) => number | null): DerivedSpec<E, 'double', true> => ({
      type: 'double',
      nullable: true,
      fn,
    }),
    long: <E>(fn: (event: E) => number | null): DerivedSpec<E, 'long', true> => ({
      type: 'long',
      nullable: true,
      fn,
    }),
    boolean: <E>(fn: (event: E) => boolean | null): DerivedSpec<E, 'boolean', true> => ({
      type: 'boolean',
      nullable: true,
      fn,
    }),
    timestamp: <E>(fn: (event: E) => number | null): DerivedSpec<E, 'timestamp', true> => ({
      type: 'timestamp',
      nullable: true,
      fn,
    }),
  },
} as const;
