/**
 * Reading a settle stream with `fetch`, parsed by eventsource-parser. Works
 * in Node and in browsers; unlike `EventSource` it can send headers.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';

export interface StreamMessage {
  event?: string | undefined;
  id?: string | undefined;
  data: string;
}

export interface OpenStream {
  readonly status: number;
  readonly headers: Headers;
  /** The next message, or undefined once the server has ended the stream. */
  next(): Promise<StreamMessage | undefined>;
  /** Resolves with the `retry:` delay, which settle sends first, once it arrives. */
  readonly retryMs: Promise<number>;
  /** The latest `retry:` delay the server sent, if any. */
  readonly latestRetryMs: number | undefined;
  /** Heartbeat comments seen so far. */
  readonly comments: number;
  /** The body of a response that is not a stream (an error, a 204). */
  text(): Promise<string>;
  close(): void;
}

export interface OpenStreamOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function openStream(
  url: string,
  options: OpenStreamOptions = {},
): Promise<OpenStream> {
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const response = await fetch(url, {
    headers: { Accept: 'text/event-stream', ...options.headers },
    signal: abort.signal,
  });

  let comments = 0;
  let latestRetryMs: number | undefined;
  let resolveRetry!: (ms: number) => void;
  const retryMs = new Promise<number>((resolve) => {
    resolveRetry = resolve;
  });
  const isStream =
    response.ok &&
    (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  const reader =
    isStream && response.body !== null
      ? response.body
          .pipeThrough(new TextDecoderStream())
          .pipeThrough(
            new EventSourceParserStream({
              onRetry: (ms) => {
                latestRetryMs = ms;
                resolveRetry(ms);
              },
              onComment: () => {
                comments += 1;
              },
            }),
          )
          .getReader()
      : undefined;

  // Read ahead of the caller: the parser only sees what is pulled through it,
  // and the `retry:` line must be seen before the first message is asked for.
  const queue: Array<StreamMessage | undefined> = [];
  const takers: Array<(message: StreamMessage | undefined) => void> = [];
  const deliver = (message: StreamMessage | undefined) => {
    const taker = takers.shift();
    if (taker === undefined) {
      queue.push(message);
    } else {
      taker(message);
    }
  };
  if (reader === undefined) {
    deliver(undefined);
  } else {
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            break;
          }
          deliver(value);
        }
      } catch {
        // Aborted or cut: the stream is over either way.
      }
      deliver(undefined);
    })();
  }

  return {
    status: response.status,
    headers: response.headers,
    retryMs,
    get comments() {
      return comments;
    },
    get latestRetryMs() {
      return latestRetryMs;
    },
    next() {
      if (queue.length > 0) {
        const message = queue[0];
        // The end stays queued, so every later call also sees it.
        if (message !== undefined) {
          queue.shift();
        }
        return Promise.resolve(message);
      }
      return new Promise((resolve) => takers.push(resolve));
    },
    text: () => response.text(),
    close() {
      options.signal?.removeEventListener('abort', onOuterAbort);
      abort.abort();
    },
  };
}
