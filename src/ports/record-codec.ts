import type { Row } from '../core/topology/compile.js';

/** Why a record could not become an event (the dead-letter reasons of the decode step). */
export type DecodeFailure = 'undecodable' | 'schema_violation';

export type DecodeResult =
  | { readonly ok: true; readonly row: Row }
  | { readonly ok: false; readonly reason: DecodeFailure; readonly detail: string };

/** Turns record bytes into a schema-valid event row and back (JSON, Avro). */
export interface RecordCodec {
  readonly format: string;
  decode(bytes: Uint8Array): DecodeResult;
  /** Validates `row` against the schema and encodes it; throws a user error when invalid. */
  encode(row: Row): Uint8Array;
}
