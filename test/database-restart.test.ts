/**
 * PostgreSQL stops and starts again while streams wait. Every stream gets
 * its outcome (or its timeout); none hangs.
 *
 * This file runs its own embedded server, whatever the suite runs on, since
 * it must be able to stop and start it: with DATABASE_URL the suite cannot
 * restart that server, so this server is the one it can.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readConfig } from '../src/config.js';
import {
  startEmbeddedPostgres,
  temporaryDataDir,
  type EmbeddedPostgres,
} from '../src/db/embedded.js';
import { createLogger } from '../src/logger.js';
import { startSettle, type Settle } from '../src/settle.js';
import { openStream } from '../src/client/event-stream.js';
import { eventually } from './helpers/eventually.js';
import { authHeaders, createOrderAt, sendFixtureTo } from './helpers/remote.js';
import { TEST_WEBHOOK_SECRET } from './helpers/settle.js';
import { TEST_AUTH_ENV } from './helpers/tokens.js';

const STREAMS = 5;
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const dataDir = temporaryDataDir();

let server: EmbeddedPostgres;
let settle: Settle;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ dataDir, persistent: true, logger });
  settle = await startSettle({
    config: {
      ...readConfig({
        NODE_ENV: 'test',
        STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        ...TEST_AUTH_ENV,
      }),
      port: 0,
      streamTimeoutMs: 30_000,
      heartbeatIntervalMs: 100,
    },
    databaseUrl: server.url,
    logger,
  });
}, 60_000);
afterAll(async () => {
  await settle?.close();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a PostgreSQL restart', () => {
  it('leaves no stream hanging: each hears the outcome paid after the restart', async () => {
    const orderIds = await Promise.all(
      Array.from({ length: STREAMS }, () => createOrderAt(settle.url)),
    );
    const headers = await authHeaders();
    const streams = await Promise.all(
      orderIds.map((orderId) =>
        openStream(`${settle.url}/orders/${orderId}/events`, { headers }),
      ),
    );
    await Promise.all(streams.map((stream) => stream.retryMs));

    await server.stop();
    await eventually(() => expect(settle.listener.isListening).toBe(false));
    const readyWhileDown = await fetch(`${settle.url}/readyz`);
    const readyWhileDownBody = await readyWhileDown.json();
    server = await startEmbeddedPostgres({
      dataDir,
      persistent: true,
      logger,
      port: server.port,
    });
    await eventually(() => expect(settle.listener.isListening).toBe(true), {
      timeoutMs: 15_000,
    });

    const answers = await Promise.all(
      orderIds.map((orderId) =>
        sendFixtureTo(settle.url, 'invoice.paid.stripemock.json', orderId),
      ),
    );
    const messages = await Promise.all(streams.map((stream) => stream.next()));

    expect(readyWhileDown.status).toBe(503);
    expect(readyWhileDownBody).toMatchObject({
      status: 'not_ready',
      checks: {
        pool: { ok: false, error: 'the database did not answer' },
        listener: { ok: false, error: 'not connected' },
      },
    });
    expect(answers.map((answer) => answer.status)).toEqual(Array(STREAMS).fill(200));
    expect(messages.map((message) => message?.event)).toEqual(
      Array(STREAMS).fill('order.succeeded'),
    );
    await eventually(() => expect(settle.waiters.size).toBe(0));
    await eventually(() => expect(settle.listener.isListening).toBe(true), {
      timeoutMs: 15_000,
    });
  });
});
