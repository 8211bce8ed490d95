/**
 * waitForOrder: wait for an order's next outcome, in a browser or in Node.
 *
 * It streams with `fetch`, so it can send `Authorization`, and parses with
 * eventsource-parser. A dropped connection, a server-side timeout or an
 * `event: reconnect` (the instance is stopping) make it come back, with the
 * last version it has seen, after the server's `retry:` delay and a capped
 * backoff. It never comes back after an outcome, a 204, a 401 or a 404.
 */
import {
  NoFurtherOutcomeError,
  OrderNotFoundError,
  UnauthorizedError,
  WaitAbortedError,
  WaitRequestError,
  WaitTimeoutError,
} from './errors.js';
import { openStream, type OpenStream } from './event-stream.js';

export interface OrderOutcome {
  orderId: string;
  status: 'ACTION_REQUIRED' | 'FAILED' | 'SUCCEEDED' | 'EXPIRED';
  version: number;
  updatedAt: string;
  /** With ACTION_REQUIRED: send the customer here to confirm the payment. */
  actionUrl?: string;
}

export interface WaitForOrderOptions {
  /** Where settle answers, e.g. https://settle.example.com. */
  baseUrl: string;
  /** A bearer token, sent as `Authorization: Bearer …`. */
  token?: string;
  signal?: AbortSignal;
  /** Gives up with WaitTimeoutError after this long. Default: never. */
  timeoutMs?: number;
  /**
   * The version already seen: after FAILED or ACTION_REQUIRED, wait for the
   * outcome that follows.
   */
  lastEventId?: number;
}

const DEFAULT_RETRY_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

export async function waitForOrder(
  orderId: string,
  options: WaitForOrderOptions,
): Promise<OrderOutcome> {
  const signals = [options.signal, timeoutSignal(options.timeoutMs)].filter(
    (signal): signal is AbortSignal => signal !== undefined,
  );
  const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
  const url = `${options.baseUrl.replace(/\/$/, '')}/orders/${encodeURIComponent(orderId)}/events`;
  let lastSeen = options.lastEventId;
  let retryMs = DEFAULT_RETRY_MS;
  let failures = 0;
  let notBeforeMs = 0;

  for (;;) {
    throwIfStopped(signal, options);

    let stream: OpenStream | undefined;
    try {
      stream = await openStream(url, {
        headers: headersFor(options.token, lastSeen),
        signal,
      });
      const ended = await readUntilOutcome(stream, orderId, lastSeen);
      if (ended.kind === 'outcome') {
        return ended.outcome;
      }
      retryMs = ended.retryMs ?? retryMs;
      // A stream the server ended on purpose is no failure; a cut one is.
      failures = ended.kind === 'dropped' ? failures + 1 : 0;
      notBeforeMs = ended.kind === 'reconnect' ? retryMs : 0;
    } catch (error) {
      throwIfStopped(signal, options);
      if (!isRetryable(error)) {
        throw error;
      }
      failures += 1;
      notBeforeMs = error instanceof RetryableStatus ? error.retryAfterMs : 0;
    } finally {
      stream?.close();
    }

    const backoffMs = failures === 0 ? 0 : retryMs * 2 ** (failures - 1);
    await sleep(Math.min(Math.max(backoffMs, notBeforeMs), MAX_BACKOFF_MS), signal);
  }
}

type StreamEnd =
  | { kind: 'outcome'; outcome: OrderOutcome }
  | { kind: 'timeout' | 'reconnect' | 'dropped'; retryMs: number | undefined };

async function readUntilOutcome(
  stream: OpenStream,
  orderId: string,
  lastSeen: number | undefined,
): Promise<StreamEnd> {
  if (stream.status === 401) {
    throw new UnauthorizedError(await stream.text());
  }
  if (stream.status === 404) {
    throw new OrderNotFoundError(orderId);
  }
  if (stream.status === 204) {
    throw new NoFurtherOutcomeError(orderId, lastSeen);
  }
  if (stream.status === 429 || stream.status >= 500) {
    const retryAfterS = Number(stream.headers.get('retry-after') ?? 0);
    throw new RetryableStatus(
      stream.status,
      Number.isFinite(retryAfterS) ? retryAfterS * 1000 : 0,
    );
  }
  if (stream.status !== 200) {
    throw new WaitRequestError(stream.status, await stream.text());
  }

  for (;;) {
    const message = await stream.next();
    if (message === undefined) {
      // Ended without a word (a proxy, a crash): come back with backoff.
      return { kind: 'dropped', retryMs: stream.latestRetryMs };
    }
    if (message.event?.startsWith('order.')) {
      return { kind: 'outcome', outcome: JSON.parse(message.data) as OrderOutcome };
    }
    if (message.event === 'timeout') {
      // The server's wait ended: come back at once.
      return { kind: 'timeout', retryMs: stream.latestRetryMs };
    }
    if (message.event === 'reconnect') {
      // The instance is stopping: come back after its `retry:`, elsewhere.
      return { kind: 'reconnect', retryMs: stream.latestRetryMs };
    }
  }
}

/** 429 and 5xx: settle is busy or its database is away; try again later. */
class RetryableStatus extends Error {
  constructor(
    readonly status: number,
    /** From Retry-After: settle asked not to come back sooner. */
    readonly retryAfterMs: number,
  ) {
    super(`settle answered ${status}`);
  }
}

function isRetryable(error: unknown): boolean {
  // fetch rejects with a TypeError for network failures; a stream cut mid-read
  // ends the reader, which openStream reports as the end of the stream.
  return error instanceof RetryableStatus || error instanceof TypeError;
}

function headersFor(token: string | undefined, lastSeen: number | undefined) {
  const headers: Record<string, string> = {};
  if (token !== undefined) {
    headers.Authorization = `Bearer ${token}`;
  }
  if (lastSeen !== undefined) {
    headers['Last-Event-ID'] = String(lastSeen);
  }
  return headers;
}

function timeoutSignal(timeoutMs: number | undefined): AbortSignal | undefined {
  return timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
}

function throwIfStopped(
  signal: AbortSignal | undefined,
  options: WaitForOrderOptions,
): void {
  if (signal?.aborted !== true) {
    return;
  }
  if (options.signal?.aborted === true) {
    throw new WaitAbortedError(options.signal.reason);
  }
  throw new WaitTimeoutError(options.timeoutMs ?? 0);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (ms === 0 || signal?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
