/**
 * A real settle for a test file: its own database, migrations, listener and
 * HTTP server on an ephemeral port, as main.ts would start it.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

import { openStream, type OpenStream } from '../../src/client/event-stream.js';
import { readConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import {
  aimEventAtOrder,
  signPayload,
  type AimOptions,
} from '../../src/stripe/replay.js';
import { startSettle, type Settle } from '../../src/settle.js';
import { loadFixture } from '../../src/cli/shared.js';
import { signUserToken, TEST_AUTH_ENV } from './tokens.js';
import { createTestDatabase, createTestPool, type TestDatabase } from './database.js';
import { eventually } from './eventually.js';

/** What createOrder's orders cost, and what the events sendFixture sends pay. */
export const TEST_PAYMENT = { amount: 1999, currency: 'usd' };

export const TEST_WEBHOOK_SECRET = 'whsec_settle_test_secret_0123456789';

export interface TestSettle {
  readonly settle: Settle;
  readonly baseUrl: string;
  readonly config: Config;
  readonly database: TestDatabase;
  /** A pool of the test's own, for reading and writing rows directly. */
  readonly sql: pg.Pool;
  /** `Authorization` for the test user, who owns what createOrder creates. */
  readonly authHeaders: Record<string, string>;
  readonly token: string;
  createOrder(body?: Record<string, unknown>): Promise<CreatedOrder>;
  openStream(orderId: string, headers?: Record<string, string>): Promise<OpenStream>;
  /** Replays a fixture aimed at the order; resolves with the HTTP answer. */
  sendFixture(
    fixture: string,
    orderId: string,
    options?: AimOptions,
  ): Promise<{ status: number; body: any; eventId: string }>;
  sendEvent(event: Record<string, unknown>): Promise<{ status: number; body: any }>;
  postWebhook(body: string, signature?: string): Promise<{ status: number; body: any }>;
  /** Fails unless every waiter has gone: nothing may outlive its stream. */
  expectNoWaiters(): Promise<void>;
  close(): Promise<void>;
}

/** The parts of POST /orders' answer the tests read. */
export interface CreatedOrder {
  orderId: string;
  version: number;
  waitToken: string;
  amount: number | null;
}

export interface TestSettleOptions extends Partial<Config> {
  /** A database to use instead of a new one; the caller drops it. */
  database?: TestDatabase;
  /** Where settle's pool connects, when not straight to the database. */
  databaseUrlOverride?: string;
  /** A logger to use instead of a silent one. */
  logger?: Logger;
}

export async function startTestSettle(
  options: TestSettleOptions = {},
): Promise<TestSettle> {
  const {
    database: givenDatabase,
    databaseUrlOverride,
    logger: givenLogger,
    ...overrides
  } = options;
  const database = givenDatabase ?? (await createTestDatabase());
  const config: Config = Object.freeze({
    ...readConfig({
      NODE_ENV: 'test',
      STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      ...TEST_AUTH_ENV,
    }),
    port: 0,
    host: '127.0.0.1',
    streamTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    // A test runs a reconciliation pass when it wants one.
    reconcileIntervalMs: 0,
    ...overrides,
  });
  const logger =
    givenLogger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const settle = await startSettle({
    config,
    databaseUrl: databaseUrlOverride ?? database.url,
    logger,
  });
  const sql = createTestPool(database.url);
  const baseUrl = settle.url;
  const streams: OpenStream[] = [];
  const token = await signUserToken();
  const authHeaders = { Authorization: `Bearer ${token}` };

  const postWebhook = async (body: string, signature?: string) => {
    const response = await fetch(`${baseUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(signature === undefined ? {} : { 'Stripe-Signature': signature }),
      },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  const sendEvent = (event: Record<string, unknown>) => {
    const payload = JSON.stringify(event);
    return postWebhook(payload, signPayload(payload, TEST_WEBHOOK_SECRET));
  };

  return {
    settle,
    baseUrl,
    config,
    database,
    sql,
    authHeaders,
    token,

    async createOrder(body: Record<string, unknown> = TEST_PAYMENT) {
      const response = await fetch(`${baseUrl}/orders`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...authHeaders },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(201);
      return (await response.json()) as CreatedOrder;
    },

    async openStream(orderId, headers = {}) {
      const stream = await openStream(`${baseUrl}/orders/${orderId}/events`, {
        headers: { ...authHeaders, ...headers },
      });
      streams.push(stream);
      return stream;
    },

    async sendFixture(fixture, orderId, options = {}) {
      const event = aimEventAtOrder(await loadFixture(fixture), orderId, {
        paid: TEST_PAYMENT,
        ...options,
      });
      const answer = await sendEvent(event);
      return { ...answer, eventId: String(event.id) };
    },

    sendEvent,
    postWebhook,

    async expectNoWaiters() {
      await eventually(() => expect(settle.waiters.size).toBe(0));
    },

    async close() {
      for (const stream of streams) {
        stream.close();
      }
      await settle.close();
      await sql.end();
      if (givenDatabase === undefined) {
        await database.drop();
      }
    },
  };
}

/**
 * One settle for the test file, started before its tests and closed after
 * them; after each test, no waiter may be left. Returns a getter, as the
 * settle exists only once the hooks have run.
 */
export function useTestSettle(overrides: TestSettleOptions = {}): () => TestSettle {
  let app: TestSettle | undefined;
  beforeAll(async () => {
    app = await startTestSettle(overrides);
  });
  afterAll(async () => {
    await app?.close();
  });
  afterEach(async () => {
    await app?.expectNoWaiters();
  });
  return () => {
    if (app === undefined) {
      throw new Error('settle is not started yet: call this inside a test');
    }
    return app;
  };
}
