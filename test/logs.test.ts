/**
 * What an operator reads: one line per webhook and per finished stream, each
 * with its request id and how long it took, and the listener's state
 * changes; never a whole payload.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { eventually } from './helpers/eventually.js';
import { useTestSettle } from './helpers/settle.js';

const lines: Array<Record<string, any>> = [];
const app = useTestSettle({
  logger: pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  ),
});

function linesWith(message: string, orderId?: string) {
  return lines.filter(
    (line) => line.msg === message && (orderId === undefined || line.orderId === orderId),
  );
}

describe('the log', () => {
  it('has one line per webhook and per finished stream, with ids and times', async () => {
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);
    await stream.retryMs;

    const sent = await app().sendFixture('invoice.paid.stripemock.json', orderId);
    await stream.next();
    await app().expectNoWaiters();

    const webhook = linesWith('event applied', orderId);
    expect(webhook).toEqual([
      expect.objectContaining({
        level: 30,
        eventId: sent.eventId,
        type: 'invoice.paid',
        orderId,
        disposition: 'applied',
        status: 'SUCCEEDED',
        ms: expect.any(Number),
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      }),
    ]);
    const closed = linesWith('stream closed', orderId);
    expect(closed).toEqual([
      expect.objectContaining({
        level: 30,
        result: 'outcome',
        status: 'SUCCEEDED',
        version: 1,
        ms: expect.any(Number),
        requestId: expect.any(String),
      }),
    ]);
    // Each request's own line carries the same id as the route's lines.
    const requests = lines.filter((line) => line.msg === 'request');
    expect(requests.map((line) => line.requestId)).toContain(webhook[0]!.requestId);
    expect(requests.map((line) => line.requestId)).toContain(closed[0]!.requestId);
    // Never the event's body: not even its object's fields.
    expect(JSON.stringify(lines)).not.toContain('hosted_invoice_url');
  });

  it('says when the listener loses its connection and when it is back', async () => {
    const { rows } = await app().sql.query(
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'settle-listener'",
    );
    await app().sql.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);

    await eventually(() =>
      expect(linesWith('listener reconnected, catching up')).toHaveLength(1),
    );
    expect(linesWith('listener reconnecting')[0]).toMatchObject({
      level: 40,
      attempt: 1,
    });
    expect(linesWith('listener started')).toHaveLength(1);
  });
});
