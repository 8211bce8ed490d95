/**
 * The project's copy of recorded Stripe events (test/fixtures/stripe), and
 * posting one, signed, to a settle: for the demo, the replay command, the
 * development panel and the tests.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { signPayload } from './replay.js';

export const FIXTURE_DIRECTORY = fileURLToPath(
  new URL('../../test/fixtures/stripe/', import.meta.url),
);

/** A fixture by file name (in the project's copy) or by path. */
export async function loadFixture(nameOrPath: string): Promise<Record<string, unknown>> {
  const file = nameOrPath.includes('/')
    ? nameOrPath
    : path.join(FIXTURE_DIRECTORY, nameOrPath);
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

export interface PostedEvent {
  status: number;
  body: string;
}

export async function postSignedEvent(
  baseUrl: string,
  event: Record<string, unknown>,
  secret: string,
): Promise<PostedEvent> {
  const payload = JSON.stringify(event);
  const response = await fetch(`${baseUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Stripe-Signature': signPayload(payload, secret),
    },
    body: payload,
  });
  return { status: response.status, body: await response.text() };
}
