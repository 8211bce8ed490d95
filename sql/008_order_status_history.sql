-- Every recorded status change of an order, one row each, so that each
-- transition is visible in SQL: when, from what to what, and which Stripe
-- event caused it.
--
-- The event id reaches the orders trigger through a transaction-local
-- setting, settle.stripe_event_id: a row entering the stripe_events ledger
-- sets it, and settle records an event and its outcome in one transaction
-- (see settle_record_stripe_event). A change made by hand can name its cause
-- the same way:
--   BEGIN;
--   SET LOCAL settle.stripe_event_id = 'evt_...';
--   UPDATE orders SET status = 'SUCCEEDED', version = version + 1 WHERE id = '...';
--   COMMIT;

CREATE TABLE order_status_history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  old_status text NOT NULL,
  new_status text NOT NULL,
  version integer NOT NULL,
  stripe_event_id text,
  changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX order_status_history_order_id_idx
  ON order_status_history (order_id, version);

COMMENT ON TABLE order_status_history IS
  'One row per recorded status change of an order (each new version), written '
  'by trigger orders_status_history. Read it to see how an order got where it is.';
COMMENT ON COLUMN order_status_history.version IS
  'The order''s version after the change: the id of its SSE message.';
COMMENT ON COLUMN order_status_history.stripe_event_id IS
  'The Stripe event recorded in the same transaction (stripe_events.id); NULL '
  'for a change with no event, such as a failure to start the payment in Stripe.';
COMMENT ON COLUMN order_status_history.changed_at IS
  'When the transaction that made the change started (now()), as orders.updated_at.';

CREATE FUNCTION stripe_events_remember_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- true: local to this transaction; it ends with it.
  PERFORM set_config('settle.stripe_event_id', NEW.id, true);
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION stripe_events_remember_id() IS
  'AFTER INSERT on stripe_events: sets settle.stripe_event_id for the rest of '
  'the transaction, so that order_status_history can name the event.';

CREATE TRIGGER stripe_events_remember_id
  AFTER INSERT ON stripe_events
  FOR EACH ROW EXECUTE FUNCTION stripe_events_remember_id();

CREATE FUNCTION orders_record_status_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO order_status_history
    (order_id, old_status, new_status, version, stripe_event_id)
  VALUES
    (NEW.id, OLD.status, NEW.status, NEW.version,
     -- true: NULL, not an error, when the setting was never made.
     nullif(current_setting('settle.stripe_event_id', true), ''));
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION orders_record_status_change() IS
  'AFTER UPDATE on orders when version changed: appends the change to '
  'order_status_history, with the event id in settle.stripe_event_id if set.';

CREATE TRIGGER orders_status_history
  AFTER UPDATE ON orders
  FOR EACH ROW
  WHEN (OLD.version IS DISTINCT FROM NEW.version)
  EXECUTE FUNCTION orders_record_status_change();

COMMENT ON TRIGGER orders_status_history ON orders IS
  'Keeps order_status_history; see function orders_record_status_change().';
