/**
 * Typed errors that carry no HTTP. One handler in `http/` maps them to RFC 9457
 * problem+json; the CLI maps them to messages and exit codes.
 */
export interface FieldIssue {
  /** Path of the offending field, e.g. `spec.dependsOn[2]` or `body.name`. */
  path: string;
  message: string;
  /** Where the field came from, when it came from a file. */
  file?: string;
  line?: number;
}

export abstract class VigilError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  readonly issues: FieldIssue[];

  constructor(message: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = new.target.name;
    this.issues = issues;
  }
}

export class InputError extends VigilError {
  readonly code = 'VIGIL_INVALID_INPUT';
  readonly status = 400;

  /** A single-field error: `InputError.field('spec.owner', 'unknown team "x"')`. */
  static field(path: string, message: string): InputError {
    return new InputError(`${path}: ${message}`, [{ path, message }]);
  }
}

export class NotFoundError extends VigilError {
  readonly code = 'VIGIL_NOT_FOUND';
  readonly status = 404;
}

export class ConflictError extends VigilError {
  readonly code = 'VIGIL_CONFLICT';
  readonly status = 409;
}

export class NotAllowedError extends VigilError {
  readonly code = 'VIGIL_FORBIDDEN';
  readonly status = 403;
}

export class UnauthenticatedError extends VigilError {
  readonly code = 'VIGIL_UNAUTHENTICATED';
  readonly status = 401;
}

export class PayloadTooLargeError extends VigilError {
  readonly code = 'VIGIL_PAYLOAD_TOO_LARGE';
  readonly status = 413;
}

export class UnavailableError extends VigilError {
  readonly code = 'VIGIL_UNAVAILABLE';
  readonly status = 503;
}
