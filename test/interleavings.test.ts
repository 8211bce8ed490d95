/**
 * Randomized interleavings, with fast-check: streams opening and leaving,
 * webhooks (also duplicated, also out of order), listener drops and pauses,
 * in any order. After each run, every stream ended with exactly one outcome
 * message or one timeout, the order's status is the forward-only result of
 * the events applied, no waiter is left, and no connection leaked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { loadFixture } from '../src/cli/shared.js';
import type { OpenStream } from '../src/client/event-stream.js';
import { aimEventAtOrder } from '../src/stripe/replay.js';
import { eventually } from './helpers/eventually.js';
import { TEST_PAYMENT, useTestSettle } from './helpers/settle.js';

const RUNS = Number(process.env.INTERLEAVING_RUNS ?? 20);
const STREAM_TIMEOUT_MS = 1_000;
const BACKSTOP_MS = 200;
/** How late a wake-up may be: a listener reconnect, or the backstop. */
const WAKEUP_SLACK_MS = 500;
const POOL_SIZE = 4;

const FIXTURE_BY_OUTCOME = {
  SUCCEEDED: 'invoice.paid.stripemock.json',
  FAILED: 'invoice.payment_failed.stripemock.json',
  EXPIRED: 'checkout.session.expired.stripeopenapi.json',
} as const;
type Outcome = keyof typeof FIXTURE_BY_OUTCOME;

type Command =
  | { kind: 'open'; resume: boolean }
  | { kind: 'webhook'; outcome: Outcome }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'lateFailure' }
  | { kind: 'dropListener' }
  | { kind: 'abort'; pick: number }
  | { kind: 'pause'; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('open' as const), resume: fc.boolean() }),
  fc.record({
    kind: fc.constant('webhook' as const),
    outcome: fc.constantFrom<Outcome>('SUCCEEDED', 'FAILED', 'EXPIRED'),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat() }),
  fc.constant({ kind: 'lateFailure' as const }),
  fc.constant({ kind: 'dropListener' as const }),
  fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('pause' as const),
    ms: fc.integer({ min: 0, max: 400 }),
  }),
);

interface Watched {
  lastSeen: number;
  status: number;
  messages: Array<{ event?: string | undefined; id?: string | undefined; data: string }>;
  aborted: boolean;
  endedAt: number;
  done: Promise<void>;
  stream: OpenStream;
}

const app = useTestSettle({
  streamTimeoutMs: STREAM_TIMEOUT_MS,
  backstopIntervalMs: BACKSTOP_MS,
  databasePoolSize: POOL_SIZE,
  maxStreamsPerOrder: 1_000,
});

describe('randomized interleavings', () => {
  it(`hold every promise over ${RUNS} runs`, async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 3, maxLength: 12 }),
        async (commands) => {
          runs += 1;
          await runOnce(commands);
        },
      ),
      { numRuns: RUNS },
    );
    console.info(`interleavings: ${runs} randomized runs passed`);
  }, 300_000);
});

async function runOnce(commands: Command[]): Promise<void> {
  const { orderId } = await app().createOrder();
  const model = { status: 'PENDING' as string, version: 0 };
  const history = new Map<number, { status: string; appliedAt: number }>();
  const sentEvents: Array<Record<string, unknown>> = [];
  const watched: Watched[] = [];

  /** Sends a new event; the model says what settle must do with it. */
  const send = async (event: Record<string, unknown>, outcome: Outcome) => {
    const open = model.status === 'PENDING' || model.status === 'FAILED';
    const answer = await app().sendEvent(event);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      duplicate: false,
      disposition: open ? 'applied' : 'refused',
    });
    if (open) {
      model.status = outcome;
      model.version += 1;
      history.set(model.version, { status: outcome, appliedAt: Date.now() });
    }
  };

  for (const step of commands) {
    switch (step.kind) {
      case 'open':
        watched.push(
          await watch(orderId, step.resume ? model.version : undefined, model),
        );
        break;
      case 'webhook': {
        const event = aimEventAtOrder(
          await loadFixture(FIXTURE_BY_OUTCOME[step.outcome]),
          orderId,
          { paid: TEST_PAYMENT },
        );
        sentEvents.push(event);
        await send(event, step.outcome);
        break;
      }
      case 'duplicate': {
        const event = sentEvents[step.pick % Math.max(sentEvents.length, 1)];
        if (event !== undefined) {
          const answer = await app().sendEvent(event);
          expect(answer).toMatchObject({ status: 200, body: { duplicate: true } });
        }
        break;
      }
      case 'lateFailure': {
        // A failure Stripe created long ago, delivered now: out of order.
        const event = aimEventAtOrder(
          await loadFixture(FIXTURE_BY_OUTCOME.FAILED),
          orderId,
          { paid: TEST_PAYMENT },
        );
        event.created = 1_500_000_000;
        sentEvents.push(event);
        await send(event, 'FAILED');
        break;
      }
      case 'dropListener':
        await app().sql.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'settle-listener' AND datname = current_database()`,
        );
        break;
      case 'abort': {
        const open = watched.filter((item) => item.status === 200 && item.endedAt === 0);
        const victim = open[step.pick % Math.max(open.length, 1)];
        if (victim !== undefined) {
          victim.aborted = true;
          victim.stream.close();
        }
        break;
      }
      case 'pause':
        await new Promise((resolve) => setTimeout(resolve, step.ms));
        break;
    }
  }

  await Promise.all(watched.map((item) => item.done));
  for (const item of watched) {
    checkStream(item, history);
  }
  const row = await app().sql.query('SELECT status, version FROM orders WHERE id = $1', [
    orderId,
  ]);
  expect(row.rows[0]).toEqual({ status: model.status, version: model.version });
  await eventually(() => expect(app().settle.waiters.size).toBe(0));
  const connections = await app().sql.query(
    `SELECT application_name AS name, count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE 'settle%'
      GROUP BY application_name`,
  );
  for (const { name, n } of connections.rows) {
    expect(n).toBeLessThanOrEqual(name === 'settle-listener' ? 1 : POOL_SIZE);
  }
}

async function watch(
  orderId: string,
  lastSeen: number | undefined,
  model: { status: string; version: number },
): Promise<Watched> {
  const headers: Record<string, string> =
    lastSeen === undefined ? {} : { 'Last-Event-ID': String(lastSeen) };
  const stream = await app().openStream(orderId, headers);
  const item: Watched = {
    lastSeen: lastSeen ?? 0,
    status: stream.status,
    messages: [],
    aborted: false,
    endedAt: 0,
    stream,
    done: Promise.resolve(),
  };

  const isFinalAndSeen =
    ['SUCCEEDED', 'EXPIRED'].includes(model.status) && (lastSeen ?? 0) === model.version;
  expect(stream.status).toBe(isFinalAndSeen ? 204 : 200);

  item.done = (async () => {
    for (;;) {
      const message = await stream.next();
      if (message === undefined) {
        break;
      }
      item.messages.push(message);
    }
    item.endedAt = Date.now();
  })();
  return item;
}

function checkStream(
  item: Watched,
  history: Map<number, { status: string; appliedAt: number }>,
) {
  if (item.status === 204 || item.aborted) {
    expect(item.messages.length).toBeLessThanOrEqual(1);
    return;
  }

  expect(item.messages).toHaveLength(1);
  const [message] = item.messages as [Watched['messages'][number]];
  if (message.event === 'timeout') {
    // A timeout is honest only if no later outcome was there to be heard.
    for (const [version, applied] of history) {
      if (version > item.lastSeen) {
        expect(applied.appliedAt).toBeGreaterThan(item.endedAt - WAKEUP_SLACK_MS);
      }
    }
    return;
  }

  const data = JSON.parse(message.data) as { status: string; version: number };
  expect(message.id).toBe(String(data.version));
  expect(data.version).toBeGreaterThan(item.lastSeen);
  expect(history.get(data.version)?.status).toBe(data.status);
  expect(message.event).toBe(`order.${data.status.toLowerCase()}`);
}
