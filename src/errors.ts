/**
 * Errors that settle means to show to a caller.
 *
 * Each carries a stable `code` a client can branch on and the HTTP status it
 * maps to. The HTTP layer turns them into `{ error: { code, message } }`;
 * any other error becomes a 500 whose detail stays in the log.
 */

export class SettleError extends Error {
  readonly code: string;
  readonly status: number;
  /** Sent as Retry-After: when the same request may work again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: string,
    status: number,
    message: string,
    options?: ErrorOptions & { retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** The request is malformed: a bad id, body, header or parameter. */
export class ValidationError extends SettleError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, 400, message, options);
  }
}

/** The thing asked for does not exist (or the caller may not know it does). */
export class NotFoundError extends SettleError {
  constructor(code: string, message: string) {
    super(code, 404, message);
  }
}

/** No token, or one that is expired, forged or not for this. */
export class UnauthorizedError extends SettleError {
  constructor(code: string, message: string) {
    super(code, 401, message);
  }
}

/** A Stripe webhook whose signature, timestamp or body does not verify. */
export class SignatureError extends SettleError {
  constructor(message: string, options?: ErrorOptions) {
    super('invalid_signature', 400, message, options);
  }
}

export class PayloadTooLargeError extends SettleError {
  constructor(limitBytes: number) {
    super('payload_too_large', 413, `request body is larger than ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends SettleError {
  constructor(expected: string) {
    super('unsupported_media_type', 415, `request body must be ${expected}`);
  }
}

/** The request is well formed but cannot be done as asked. */
export class UnprocessableError extends SettleError {
  constructor(code: string, message: string) {
    super(code, 422, message);
  }
}

/** This settle is not set up for the request (a missing key): retrying will not help. */
export class NotConfiguredError extends SettleError {
  constructor(code: string, message: string) {
    super(code, 503, message);
  }
}

/** A service settle depends on (Stripe) failed or refused; the detail is in `code`. */
export class UpstreamError extends SettleError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, 502, message, { cause });
  }
}

/** Settle cannot serve this now (overloaded, database away); retry later. */
export class UnavailableError extends SettleError {
  constructor(code: string, message: string, retryAfterSeconds: number, cause?: unknown) {
    super(code, 503, message, { retryAfterSeconds, cause });
  }
}

/** This caller asks for too much at once. */
export class TooManyRequestsError extends SettleError {
  constructor(code: string, message: string, retryAfterSeconds: number) {
    super(code, 429, message, { retryAfterSeconds });
  }
}

/** Configuration that stops settle from starting. */
export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}
