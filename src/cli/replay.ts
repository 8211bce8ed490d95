/**
 * `make replay FIXTURE=… ORDER=…`: sends one recorded Stripe event to a
 * running settle, aimed at an order and signed as Stripe signs it. This is
 * how to drive settle without a Stripe account.
 *
 *   tsx src/cli/replay.ts <fixture file or name> <order id> [--duplicate]
 *
 * Each replay gets a fresh event id (the fixtures share ids across files);
 * --duplicate keeps the fixture's id, to resend an event Stripe already sent.
 */
import { aimEventAtOrder } from '../stripe/replay.js';
import {
  describeFailure,
  loadFixture,
  postSignedEvent,
  settleUrl,
  signingSecret,
} from './shared.js';

async function replay(argv: string[]): Promise<void> {
  const duplicate = argv.includes('--duplicate');
  const [fixture, orderId] = argv.filter((arg) => !arg.startsWith('--'));
  if (fixture === undefined || orderId === undefined) {
    console.error('usage: replay <fixture file or name> <order id> [--duplicate]');
    process.exit(2);
  }

  const event = aimEventAtOrder(await loadFixture(fixture), orderId, {
    keepEventId: duplicate,
  });
  const posted = await postSignedEvent(settleUrl(), event, signingSecret());
  console.log(
    `${String(event.type)} ${String(event.id)} -> ${posted.status} ${posted.body}`,
  );
  if (posted.status >= 300) {
    process.exit(1);
  }
}

replay(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`replay failed: ${describeFailure(error)}`);
  process.exit(1);
});
