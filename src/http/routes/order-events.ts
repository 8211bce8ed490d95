/**
 * GET /orders/:orderId/events: a Server-Sent Events stream that waits for the
 * order's next outcome, sends it as one message, and ends.
 *
 * No lost wake-up: the waiter is registered before the order is read. An
 * outcome committed before the read is seen by the read; one committed after
 * it wakes the waiter. Either way the client hears it.
 *
 * Last-Event-ID is the version the client has already seen. Without it, an
 * order that has an outcome is answered at once. An order that is final and
 * already seen answers 204, the one answer that stops a browser's
 * EventSource from reconnecting.
 *
 * When the process stops, each stream gets `event: reconnect` with a short
 * `retry:`, so the browser comes back, to another instance, at once.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ServerResponse } from 'node:http';

import { isDatabaseUnavailable } from '../../db/errors.js';
import {
  NotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
} from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import type { Waiter, WaitResult } from '../../notify/waiters.js';
import { readOrder } from '../../orders/orders.js';
import type { OrderOutcome } from '../../orders/outcomes.js';
import { isFinal, isOutcome } from '../../orders/status.js';
import type { RouteDependencies } from '../context.js';
import { HeartbeatClock } from '../heartbeat.js';
import { parseLastEventId, parseOrderIdParam } from '../params.js';
import { openEventStream, type EventStream, type SseMessage } from '../sse.js';

/** A browser told to come back after a shutdown waits this long. */
const RECONNECT_AFTER_SHUTDOWN_MS = 250;
const RETRY_AFTER_S = 5;

export function registerOrderEventRoutes(router: Router, deps: RouteDependencies): void {
  const { config, waiters } = deps;
  const heartbeat = new HeartbeatClock(config.heartbeatIntervalMs);

  router.get('/orders/:orderId/events', async (ctx) => {
    const orderId = parseOrderIdParam(ctx.params.orderId);
    const caller = await callerOf(ctx, orderId);
    const lastSeenVersion = parseLastEventId(lastEventIdOf(ctx));
    const seenVersion = lastSeenVersion ?? 0;
    // Fields, not a child logger: a stream may wait for minutes, and a child
    // per stream would be kept as long.
    const logFields: LogFields = { requestId: ctx.state.requestId, orderId };
    const { logger } = deps;
    checkStreamLimits(orderId);

    const waiter = waiters.register(orderId, {
      afterVersion: seenVersion,
      timeoutMs: config.streamTimeoutMs,
    });
    cancelWhenClientLeaves(ctx.res, waiter);

    let handedOver = false;
    try {
      const order = await readOrder(deps.db, orderId).catch(unavailableWhenDatabaseIs);
      if (order === undefined || order.owner !== caller) {
        throw new NotFoundError('order_not_found', 'no such order');
      }
      if (order.version < seenVersion) {
        throw new ValidationError(
          'last_event_id_ahead',
          `Last-Event-ID ${seenVersion} is ahead of the order's version ${order.version}`,
        );
      }

      if (order.version > seenVersion && isOutcome(order.status)) {
        const stream = startStream();
        stream.send(
          outcomeMessage({
            orderId,
            status: order.status,
            version: order.version,
            updatedAt: order.updatedAt.toISOString(),
            actionUrl: order.actionUrl,
          }),
        );
        stream.end();
        logger.info(
          { ...logFields, status: order.status, version: order.version },
          'stream answered at once',
        );
        return;
      }
      if (isFinal(order.status)) {
        ctx.status = 204;
        return;
      }
      if (ctx.method === 'HEAD') {
        // What a GET would answer, without waiting for a body never sent.
        ctx.status = 200;
        ctx.type = 'text/event-stream';
        return;
      }

      const stream = startStream();
      logger.info({ ...logFields, afterVersion: seenVersion }, 'stream opened');

      // The wait goes on outside Koa's middleware chain. Awaiting it here
      // would keep the whole chain (its context, closures and promises)
      // alive for every waiting stream: the capacity bench measured that at
      // about 40% of a stream's memory. The response is ours already.
      handedOver = true;
      void deliverWhenSettled(waiter, stream, {
        orderId,
        openedAt: performance.now(),
        streamTimeoutMs: config.streamTimeoutMs,
        metrics: deps.metrics,
        logger,
        logFields,
      });
    } finally {
      if (!handedOver) {
        waiter.cancel();
      }
    }

    function startStream(): EventStream {
      // From here on Koa stays out of the response; the stream owns it.
      ctx.respond = false;
      return openEventStream(ctx.res, { retryMs: config.reconnectDelayMs, heartbeat });
    }
  });

  /**
   * The caller: a bearer token's user, or for a browser's EventSource, which
   * cannot send headers, the owner a wait token for this order speaks for.
   */
  async function callerOf(ctx: Context, orderId: string): Promise<string> {
    const authorization = ctx.get('authorization');
    if (authorization !== '') {
      return deps.users.verify(authorization);
    }
    const token = ctx.query.token;
    if (typeof token === 'string' && token !== '') {
      return deps.waitTokens.verify(token, orderId);
    }
    throw new UnauthorizedError(
      'missing_token',
      'Authorization: Bearer <token>, or ?token=<wait token>, is required',
    );
  }

  function checkStreamLimits(orderId: string): void {
    if (waiters.size >= config.maxStreams) {
      throw new UnavailableError(
        'too_many_streams',
        'this instance holds as many streams as it may; retry shortly',
        RETRY_AFTER_S,
      );
    }
    if (waiters.countFor(orderId) >= config.maxStreamsPerOrder) {
      throw new TooManyRequestsError(
        'too_many_streams_for_order',
        `at most ${config.maxStreamsPerOrder} streams may wait on one order`,
        RETRY_AFTER_S,
      );
    }
  }
}

interface Delivery {
  orderId: string;
  openedAt: number;
  streamTimeoutMs: number;
  metrics: Pick<Metrics, 'commitToWrite' | 'streamsEnded'>;
  logger: Logger;
  logFields: LogFields;
}

interface LogFields {
  requestId: unknown;
  orderId: string;
}

/**
 * Waits for the waiter's result, tells the client, and ends the stream. It
 * holds only what it is given, and nothing of the request's Koa context.
 */
async function deliverWhenSettled(
  waiter: Waiter,
  stream: EventStream,
  delivery: Delivery,
): Promise<void> {
  try {
    const result = await waiter.result;
    const message = messageFor(result, delivery);
    if (message !== undefined) {
      stream.send(message);
    }
    if (result.kind === 'outcome' && result.committingAt !== undefined) {
      delivery.metrics.commitToWrite.observe(
        (performance.now() - result.committingAt) / 1000,
      );
    }
    delivery.metrics.streamsEnded.inc({ result: result.kind });
    delivery.logger.info(
      {
        ...delivery.logFields,
        result: result.kind,
        ...(result.kind === 'outcome'
          ? { status: result.outcome.status, version: result.outcome.version }
          : {}),
        ms: Math.round(performance.now() - delivery.openedAt),
      },
      'stream closed',
    );
  } catch (error) {
    delivery.logger.error({ ...delivery.logFields, err: error }, 'stream failed');
  } finally {
    stream.end();
    waiter.cancel();
  }
}

function messageFor(result: WaitResult, delivery: Delivery): SseMessage | undefined {
  const { orderId } = delivery;
  switch (result.kind) {
    case 'outcome':
      return outcomeMessage(result.outcome);
    case 'timeout':
      // No id: the client has seen no new version, and a reconnecting
      // EventSource must keep sending the one it had.
      return {
        event: 'timeout',
        data: { orderId, timeoutMs: delivery.streamTimeoutMs },
      };
    case 'shutdown':
      return {
        event: 'reconnect',
        data: { orderId },
        retry: RECONNECT_AFTER_SHUTDOWN_MS,
      };
    case 'aborted':
      // The client left: there is no one to tell.
      return undefined;
  }
}

/**
 * Ends the waiter when the client's connection closes, also when it closed
 * already (while the token was checked). A function of its own, so that the
 * listener it leaves on the response holds nothing of the Koa context.
 */
function cancelWhenClientLeaves(response: ServerResponse, waiter: Waiter): void {
  if (response.closed) {
    waiter.cancel();
    return;
  }
  response.once('close', waiter.cancel);
}

/**
 * The version the client has seen: the Last-Event-ID header, or else the
 * `lastEventId` query parameter, since a browser cannot set the header on a
 * fresh EventSource. The header wins: an EventSource that reconnects sends
 * it, newer than the URL it was opened with.
 */
function lastEventIdOf(ctx: Context): string | undefined {
  const header = ctx.get('last-event-id');
  if (header !== '') {
    return header;
  }
  const query = ctx.query.lastEventId;
  return Array.isArray(query) ? 'several values' : query;
}

/** New streams get 503 while the database is away; open ones keep waiting. */
function unavailableWhenDatabaseIs(error: unknown): never {
  if (isDatabaseUnavailable(error)) {
    throw new UnavailableError(
      'database_unavailable',
      'the database cannot be reached; retry shortly',
      RETRY_AFTER_S,
      error,
    );
  }
  throw error;
}

function outcomeMessage(outcome: OrderOutcome): SseMessage {
  const { actionUrl, ...fields } = outcome;
  return {
    id: outcome.version,
    event: `order.${outcome.status.toLowerCase()}`,
    // Only ACTION_REQUIRED carries a URL: the page sends the customer there.
    data: actionUrl === null ? fields : { ...fields, actionUrl },
  };
}
