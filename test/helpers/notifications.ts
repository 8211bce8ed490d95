/**
 * A plain pg LISTEN connection that records what the trigger sends, so a
 * test can count notifications independently of settle's listener.
 */
import pg from 'pg';

import { OUTCOME_CHANNEL } from '../../src/notify/listener.js';

export interface NotificationRecorder {
  readonly payloads: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function recordNotifications(url: string): Promise<NotificationRecorder> {
  const client = new pg.Client({ connectionString: url });
  const payloads: Array<Record<string, unknown>> = [];
  client.on('notification', (message) => {
    if (message.channel === OUTCOME_CHANNEL && message.payload !== undefined) {
      payloads.push(JSON.parse(message.payload) as Record<string, unknown>);
    }
  });
  await client.connect();
  await client.query(`LISTEN ${OUTCOME_CHANNEL}`);
  return { payloads, close: () => client.end() };
}
