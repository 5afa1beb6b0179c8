/**
 * One error type for the whole project. Every error carries a stable `code`, the `domain` it
 * belongs to (who has to act), whether retrying can help, and optional details such as the
 * offending setting or value and a one-line fix. Errors are plain data so they survive
 * worker-thread boundaries (see `toErrorData` / `fromErrorData`).
 */
export type ErrorDomain = 'user' | 'external' | 'internal';

export interface ErrorData {
  readonly code: string;
  readonly message: string;
  readonly domain: ErrorDomain;
  readonly retriable: boolean;
  readonly fix?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  readonly stack?: string | undefined;
}

export class FeatureStreamError extends Error {
  readonly code: string;
  readonly domain: ErrorDomain;
  readonly retriable: boolean;
  readonly fix: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: string,
    message: string,
    options: {
      domain?: ErrorDomain;
      retriable?: boolean;
      fix?: string;
      details?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FeatureStreamError';
    this.code = code;
    this.domain = options.domain ?? 'internal';
    this.retriable = options.retriable ?? false;
    this.fix = options.fix;
    this.details = options.details;
  }

  /** One line for humans: "CODE: message (fix: ...)". */
  toLine(): string {
    return `${this.code}: ${this.message}${this.fix === undefined ? '' : ` — ${this.fix}`}`;
  }
}

/** A mistake in user input (topology, CLI argument, configuration, event payload). */
export function userError(
  code: string,
  message: string,
  fix?: string,
  details?: Record<string, unknown>,
): FeatureStreamError {
  return new FeatureStreamError(code, message, {
    domain: 'user',
    retriable: false,
    ...(fix === undefined ? {} : { fix }),
    ...(details === undefined ? {} : { details }),
  });
}

export function toErrorData(err: unknown): ErrorData {
  if (err instanceof FeatureStreamError) {
    return {
      code: err.code,
      message: err.message,
      domain: err.domain,
      retriable: err.retriable,
      fix: err.fix,
      details: err.details,
      stack: err.stack,
    };
  }
  if (err instanceof Error) {
    return {
      code: 'INTERNAL',
      message: err.message,
      domain: 'internal',
      retriable: false,
      stack: err.stack,
    };
  }
  return { code: 'INTERNAL', message: String(err), domain: 'internal', retriable: false };
}

export function fromErrorData(data: ErrorData): FeatureStreamError {
  const err = new FeatureStreamError(data.code, data.message, {
    domain: data.domain,
    retriable: data.retriable,
    ...(data.fix === undefined ? {} : { fix: data.fix }),
    ...(data.details === undefined ? {} : { details: { ...data.details } }),
  });
  if (data.stack !== undefined) err.stack = data.stack;
  return err;
}
