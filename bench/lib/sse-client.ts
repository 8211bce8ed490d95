/**
 * A bare SSE client for the workers: one HTTP request per stream, parsed by
 * eventsource-parser, with the time each event was parsed. No reconnects:
 * a stream that ends or fails is counted, not retried.
 */
import http from 'node:http';

import { createParser } from 'eventsource-parser';

export interface SseStream {
  /** Resolves with the HTTP status once the headers have arrived. */
  readonly opened: Promise<number>;
  /** Resolves when the response ends or fails. */
  readonly ended: Promise<void>;
  readonly heartbeats: number;
  close(): void;
}

export interface SseHandlers {
  /** performance.now() when the event was parsed. */
  onEvent?(event: string, data: string, at: number): void;
}

/** Streams hold their socket until they end: no pooling limit, no reuse. */
export const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

export function openSse(
  url: string,
  headers: Record<string, string>,
  handlers: SseHandlers = {},
): SseStream {
  let heartbeats = 0;
  let request: http.ClientRequest | undefined;
  const parser = createParser({
    onEvent(message) {
      handlers.onEvent?.(message.event ?? 'message', message.data, performance.now());
    },
    onComment() {
      heartbeats += 1;
    },
  });

  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    markEnded = resolve;
  });
  const opened = new Promise<number>((resolve, reject) => {
    request = http.get(url, { headers, agent: streamAgent }, (response) => {
      resolve(response.statusCode ?? 0);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => parser.feed(chunk));
      response.on('end', markEnded);
      response.on('error', markEnded);
      response.on('close', markEnded);
    });
    request.on('error', (error) => {
      reject(error);
      markEnded();
    });
  });

  return {
    opened,
    ended,
    get heartbeats() {
      return heartbeats;
    },
    close() {
      request?.destroy();
    },
  };
}

/** Opens streams with at most `concurrency` openings in flight at once. */
export async function openMany<T>(
  items: readonly T[],
  concurrency: number,
  open: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await open(item);
    }
  });
  await Promise.all(lanes);
}
