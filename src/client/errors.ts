/**
 * Why waitForOrder gave up, as types a page can branch on.
 */

export class WaitError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The wait took longer than its `timeoutMs`. */
export class WaitTimeoutError extends WaitError {
  constructor(timeoutMs: number) {
    super('timeout', `no outcome within ${timeoutMs} ms`);
  }
}

/** The caller's AbortSignal fired. */
export class WaitAbortedError extends WaitError {
  constructor(reason?: unknown) {
    super('aborted', 'the wait was aborted', { cause: reason });
  }
}

/** 401: the token is missing, expired or forged. */
export class UnauthorizedError extends WaitError {
  constructor(message: string) {
    super('unauthorized', message);
  }
}

/** 404: no such order, or not the caller's. */
export class OrderNotFoundError extends WaitError {
  constructor(orderId: string) {
    super('order_not_found', `no order ${orderId}`);
  }
}

/** 204: the order is final and its outcome was already seen. */
export class NoFurtherOutcomeError extends WaitError {
  constructor(orderId: string, lastEventId: number | undefined) {
    super(
      'no_further_outcome',
      `order ${orderId} is final and version ${lastEventId} was its last outcome`,
    );
  }
}

/** Any other answer settle gave that waiting again will not change (a 400). */
export class WaitRequestError extends WaitError {
  readonly status: number;

  constructor(status: number, body: string) {
    super('request_refused', `settle answered ${status}: ${body.slice(0, 200)}`);
    this.status = status;
  }
}
