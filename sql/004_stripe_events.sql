-- The ledger of every verified Stripe event.
--
-- Stripe delivers an event at least once, and may retry or reorder. The
-- event id is the primary key, written in the same transaction as the order
-- change, so a redelivered event finds its row and changes nothing.
-- A request whose signature fails verification writes nothing here.

CREATE TABLE stripe_events (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
  type text NOT NULL,
  created timestamptz NOT NULL,
  api_version text,
  livemode boolean NOT NULL,
  stripe_object_id text,
  order_id uuid,
  disposition text NOT NULL
    CHECK (disposition IN ('applied', 'refused', 'ignored', 'unmatched')),
  received_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE stripe_events IS
  'Every verified Stripe webhook event, once (redeliveries are no-ops), and '
  'what settle did with it. Written in the same transaction as the order.';
COMMENT ON COLUMN stripe_events.id IS 'Stripe''s event id (evt_...).';
COMMENT ON COLUMN stripe_events.created IS 'When Stripe created the event.';
COMMENT ON COLUMN stripe_events.api_version IS
  'The API version Stripe rendered the event with; NULL for old events.';
COMMENT ON COLUMN stripe_events.stripe_object_id IS
  'Id of the event''s data.object (cs_..., pi_..., in_...).';
COMMENT ON COLUMN stripe_events.order_id IS
  'The settle order the event named. Not a foreign key: an unmatched event '
  'keeps the id it carried although no such order exists.';
COMMENT ON COLUMN stripe_events.disposition IS
  'applied: the order got this outcome. refused: the status rules refused it '
  '(e.g. a failure after a success). ignored: not an outcome (another event '
  'type, an unpaid checkout, a declined card inside Checkout, no order id). '
  'unmatched: it named an order id that does not exist.';

CREATE INDEX stripe_events_order_id_idx ON stripe_events (order_id)
  WHERE order_id IS NOT NULL;
