/**
 * Sending real fixture events, aimed at an order and signed as Stripe signs
 * them, over keep-alive connections.
 */
import http from 'node:http';

import { loadFixture } from '../../src/stripe/fixtures.js';
import { aimEventAtOrder, signPayload } from '../../src/stripe/replay.js';
import { BENCH_PAYMENT } from './database.js';

export const BENCH_FIXTURE = 'checkout.session.completed.syncengine.json';

export interface SignedEvent {
  payload: string;
  signature: string;
}

export interface WebhookSender {
  /** A fresh event for the order, signed; signing is kept out of the timing. */
  prepare(orderId: string): SignedEvent;
  /** Posts it; resolves with the HTTP status once the answer is read. */
  post(event: SignedEvent): Promise<number>;
  close(): void;
}

export async function createWebhookSender(
  baseUrl: string,
  secret: string,
  maxSockets = 64,
): Promise<WebhookSender> {
  const fixture = await loadFixture(BENCH_FIXTURE);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const target = new URL('/webhooks/stripe', baseUrl);

  return {
    prepare(orderId) {
      const payload = JSON.stringify(
        aimEventAtOrder(fixture, orderId, { paid: BENCH_PAYMENT }),
      );
      return { payload, signature: signPayload(payload, secret) };
    },
    post(event) {
      return new Promise((resolve, reject) => {
        const request = http.request(
          target,
          {
            method: 'POST',
            agent,
            headers: {
              'Content-Type': 'application/json; charset=utf-8',
              'Content-Length': Buffer.byteLength(event.payload),
              'Stripe-Signature': event.signature,
            },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('error', reject);
        request.end(event.payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
