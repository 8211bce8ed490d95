/**
 * Writing Server-Sent Events on a raw Node response.
 *
 * Headers go out at once, with the `retry:` line, so a proxy or browser sees
 * the stream open before anything happens. Comment lines keep it alive while
 * it waits, so proxies with idle timeouts do not cut it.
 */
import type { ServerResponse } from 'node:http';

import type { HeartbeatClock } from './heartbeat.js';

export interface SseMessage {
  event: string;
  data: unknown;
  /** The id a browser sends back as Last-Event-ID when it reconnects. */
  id?: number;
  /** A new reconnect delay for the browser, in milliseconds. */
  retry?: number;
}

export interface EventStream {
  send(message: SseMessage): void;
  /** Stops the heartbeat and ends the response; safe to call twice. */
  end(): void;
}

export interface EventStreamOptions {
  /** How long a browser waits before it reconnects after the stream ends. */
  retryMs: number;
  heartbeat: HeartbeatClock;
}

const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-transform: a compressing proxy would otherwise buffer the stream.
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  // nginx buffers responses unless told not to.
  'X-Accel-Buffering': 'no',
};

export function openEventStream(
  response: ServerResponse,
  options: EventStreamOptions,
): EventStream {
  response.writeHead(200, STREAM_HEADERS);
  response.write(`retry: ${options.retryMs}\n\n`);

  const stopHeartbeat = options.heartbeat.add(() => {
    response.write(': heartbeat\n\n');
  });
  let ended = false;

  return {
    send(message) {
      if (!ended) {
        response.write(formatMessage(message));
      }
    },
    end() {
      if (ended) {
        return;
      }
      ended = true;

      stopHeartbeat();
      response.end();
    },
  };
}

/** One message; data is JSON, which never holds a raw line break. */
export function formatMessage(message: SseMessage): string {
  const retryLine = message.retry === undefined ? '' : `retry: ${message.retry}\n`;
  const idLine = message.id === undefined ? '' : `id: ${message.id}\n`;
  const data = JSON.stringify(message.data);
  return `${retryLine}${idLine}event: ${message.event}\ndata: ${data}\n\n`;
}
