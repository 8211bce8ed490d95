/**
 * Talking to a settle by its URL only, as a frontend and Stripe do.
 */
import { loadFixture } from '../../src/cli/shared.js';
import { aimEventAtOrder, signPayload } from '../../src/stripe/replay.js';
import { TEST_WEBHOOK_SECRET } from './settle.js';
import { signUserToken } from './tokens.js';

/** `Authorization` for the test user, as settle started with TEST_AUTH_ENV expects. */
export async function authHeaders(): Promise<Record<string, string>> {
  return { Authorization: `Bearer ${await signUserToken()}` };
}

export async function createOrderAt(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/orders`, {
    method: 'POST',
    headers: await authHeaders(),
  });
  return ((await response.json()) as { orderId: string }).orderId;
}

export async function sendFixtureTo(
  baseUrl: string,
  fixture: string,
  orderId: string,
): Promise<Response> {
  const event = aimEventAtOrder(await loadFixture(fixture), orderId);
  const payload = JSON.stringify(event);
  return fetch(`${baseUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'Stripe-Signature': signPayload(payload, TEST_WEBHOOK_SECRET) },
    body: payload,
  });
}
