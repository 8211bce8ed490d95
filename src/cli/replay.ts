/**
 * `make replay FIXTURE=… ORDER=…`: sends one recorded Stripe event to a
 * running settle, aimed at an order and signed as Stripe signs it. This is
 * how to drive settle without a Stripe account.
 *
 *   replay.ts <fixture file or name> <order id> [--event-id evt_…]
 *             [--amount 1999 --currency usd]
 *
 * Each replay gets a fresh event id (the fixtures share ids across files);
 * --event-id sends it under an id already sent, as Stripe does when it
 * delivers an event again. An order with an amount is settled only by a
 * payment of that amount: --amount and --currency say what the event paid.
 */
import { parseArgs } from 'node:util';

import { aimEventAtOrder } from '../stripe/replay.js';
import {
  describeFailure,
  loadFixture,
  postSignedEvent,
  settleUrl,
  signingSecret,
} from './shared.js';

const USAGE =
  'usage: replay <fixture file or name> <order id> [--event-id evt_…] ' +
  '[--amount 1999 --currency usd]';

async function replay(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'event-id': { type: 'string' },
        amount: { type: 'string' },
        currency: { type: 'string' },
      },
    });
  } catch {
    usage();
  }
  const { values, positionals } = parsed;
  const [fixture, orderId, ...extra] = positionals;
  const amount = values.amount === undefined ? undefined : Number(values.amount);
  if (
    fixture === undefined ||
    orderId === undefined ||
    extra.length > 0 ||
    values['event-id'] === ''
  ) {
    usage();
  }
  if ((amount === undefined) !== (values.currency === undefined)) {
    usage('AMOUNT and CURRENCY go together (--amount 1999 --currency usd)');
  }
  if (amount !== undefined && !Number.isSafeInteger(amount)) {
    usage("AMOUNT is an integer in the currency's smallest unit (1999 for 19.99)");
  }

  const event = aimEventAtOrder(await loadFixture(fixture), orderId, {
    eventId: values['event-id'],
    paid: amount === undefined ? undefined : { amount, currency: values.currency! },
  });
  const posted = await postSignedEvent(settleUrl(), event, signingSecret());
  console.log(
    `${String(event.type)} ${String(event.id)} -> ${posted.status} ${posted.body}`,
  );
  if (values['event-id'] === undefined) {
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

function usage(problem?: string): never {
  console.error(problem === undefined ? USAGE : `replay: ${problem}\n${USAGE}`);
  process.exit(2);
}
