/**
 * `make replay FIXTURE=… ORDER=…`: sends one recorded Stripe event to a
 * running settle, aimed at an order and signed as Stripe signs it. This is
 * how to drive settle without a Stripe account.
 *
 *   replay.ts <fixture file or name> <order id> [--event-id evt_…]
 *
 * Each replay gets a fresh event id (the fixtures share ids across files);
 * --event-id sends it under an id already sent, as Stripe does when it
 * delivers an event again.
 */
import { aimEventAtOrder } from '../stripe/replay.js';
import {
  describeFailure,
  loadFixture,
  postSignedEvent,
  settleUrl,
  signingSecret,
} from './shared.js';

const USAGE = 'usage: replay <fixture file or name> <order id> [--event-id evt_…]';

async function replay(argv: string[]): Promise<void> {
  const eventIdAt = argv.indexOf('--event-id');
  const eventId = eventIdAt === -1 ? undefined : argv[eventIdAt + 1];
  const positional =
    eventIdAt === -1
      ? argv
      : argv.filter((_arg, i) => i !== eventIdAt && i !== eventIdAt + 1);
  const [fixture, orderId, ...extra] = positional;
  if (
    fixture === undefined ||
    orderId === undefined ||
    extra.length > 0 ||
    eventId === ''
  ) {
    console.error(USAGE);
    process.exit(2);
  }

  const event = aimEventAtOrder(await loadFixture(fixture), orderId, { eventId });
  const posted = await postSignedEvent(settleUrl(), event, signingSecret());
  console.log(
    `${String(event.type)} ${String(event.id)} -> ${posted.status} ${posted.body}`,
  );
  if (eventId === undefined) {
    console.log(`resend this very event with EVENT_ID=${String(event.id)}`);
  }
  if (posted.status >= 300) {
    process.exit(1);
  }
}

replay(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`replay failed: ${describeFailure(error)}`);
  process.exit(1);
});
