-- Real Stripe payments: customer confirmation, checks on what was paid, and
-- finding an order through the Stripe ids settle stored for it.
--
-- ACTION_REQUIRED is a new, non-final status: Stripe needs the customer to
-- confirm the payment (strong customer authentication), and action_url says
-- where. A later success, failure or expiry settles the order as before.
--
-- settle_record_stripe_event now also refuses a success whose amount,
-- currency or mode (live or test) differs from the order's, and says why in
-- the ledger's new reason column.

ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
  CHECK (status IN ('PENDING', 'ACTION_REQUIRED', 'FAILED', 'SUCCEEDED', 'EXPIRED'));

ALTER TABLE orders ADD COLUMN action_url text
  CHECK (action_url ~ '^https://' AND length(action_url) <= 2048);

COMMENT ON COLUMN orders.status IS
  'PENDING, ACTION_REQUIRED, FAILED, SUCCEEDED or EXPIRED. Anything but '
  'PENDING is an outcome; only SUCCEEDED and EXPIRED are final.';
COMMENT ON COLUMN orders.action_url IS
  'Where the customer confirms the payment (a hosted invoice page or a '
  'PaymentIntent''s redirect), set with the last ACTION_REQUIRED outcome.';

-- A Stripe object settles at most one order, so each stored id finds one.
CREATE UNIQUE INDEX orders_stripe_checkout_session_id_key
  ON orders (stripe_checkout_session_id) WHERE stripe_checkout_session_id IS NOT NULL;
CREATE UNIQUE INDEX orders_stripe_invoice_id_key
  ON orders (stripe_invoice_id) WHERE stripe_invoice_id IS NOT NULL;

ALTER TABLE stripe_events ADD COLUMN reason text;

COMMENT ON COLUMN stripe_events.reason IS
  'Why the event was refused or ignored, when settle knows: order_is_final, '
  'amount_mismatch, livemode_mismatch, inside_checkout, or the '
  'reason the event is no outcome at all.';

-- The status rules gain ACTION_REQUIRED: it may follow PENDING or FAILED,
-- repeat (another confirmation), and be followed by any outcome.
CREATE OR REPLACE FUNCTION orders_enforce_status_rules() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status IN ('SUCCEEDED', 'EXPIRED')
     AND (NEW.status <> OLD.status OR NEW.version <> OLD.version) THEN
    RAISE EXCEPTION 'order % is % (final) and cannot become %',
      OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation',
            HINT = 'SUCCEEDED and EXPIRED are final.';
  END IF;

  IF NEW.status = 'PENDING' AND OLD.status <> 'PENDING' THEN
    RAISE EXCEPTION 'order % has an outcome (%) and cannot become PENDING',
      OLD.id, OLD.status
      USING ERRCODE = 'check_violation';
  END IF;

  IF NEW.status <> OLD.status AND NEW.version <> OLD.version + 1 THEN
    RAISE EXCEPTION 'order %: a status change must add one to version '
      '(from % to %, got %)', OLD.id, OLD.version, OLD.version + 1,
      NEW.version
      USING ERRCODE = 'check_violation',
            HINT = 'SET version = version + 1 together with status.';
  END IF;

  IF NEW.status = OLD.status AND NEW.version <> OLD.version
     AND NOT (NEW.status IN ('FAILED', 'ACTION_REQUIRED')
              AND NEW.version = OLD.version + 1) THEN
    RAISE EXCEPTION 'order %: version may only change with an outcome '
      '(from % to %)', OLD.id, OLD.version, NEW.version
      USING ERRCODE = 'check_violation',
            HINT = 'Only another FAILED or ACTION_REQUIRED keeps the status and adds one.';
  END IF;

  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

COMMENT ON FUNCTION orders_enforce_status_rules() IS
  'BEFORE UPDATE on orders: refuses any write that breaks the status rules '
  '(SUCCEEDED and EXPIRED are final; nothing returns to PENDING; version '
  'grows by exactly one per outcome, a repeated FAILED or ACTION_REQUIRED '
  'included) and keeps updated_at current. Raises check_violation (23514).';

DROP FUNCTION settle_record_stripe_event(
  text, text, timestamptz, text, boolean, text, uuid, text, text, boolean
);

-- The order is looked for through, in this order: the order id the object
-- itself carries (metadata or client_reference_id); the Checkout Session or
-- invoice id settle stored for an order; and last the order id in the
-- metadata of the invoice's subscription. The last comes after the stored
-- invoice id because a seat change's invoice also carries the metadata of
-- the subscription, which may name the order that first bought it.
CREATE FUNCTION settle_record_stripe_event(
  p_event_id text,
  p_event_type text,
  p_created timestamptz,
  p_api_version text,
  p_livemode boolean,
  p_object_id text,
  p_order_id uuid,
  p_subscription_order_id uuid,
  p_checkout_session_id text,
  p_invoice_id text,
  p_outcome text,
  p_only_outside_checkout boolean,
  p_paid_amount bigint,
  p_paid_currency text,
  p_expected_livemode boolean,
  p_action_url text,
  p_reason_if_ignored text,
  OUT is_duplicate boolean,
  OUT event_disposition text,
  OUT event_reason text,
  OUT matched_order_id uuid,
  OUT order_status text,
  OUT order_version integer,
  OUT order_updated_at timestamptz
)
LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
BEGIN
  INSERT INTO stripe_events
    (id, type, created, api_version, livemode, stripe_object_id, disposition)
  VALUES
    (p_event_id, p_event_type, p_created, p_api_version, p_livemode, p_object_id,
     'ignored')
  ON CONFLICT (id) DO NOTHING;

  IF NOT FOUND THEN
    -- A redelivery: the first copy decided, and nothing changes now.
    is_duplicate := true;
    SELECT e.disposition, e.reason, e.order_id
    INTO event_disposition, event_reason, matched_order_id
    FROM stripe_events e WHERE e.id = p_event_id;
    RETURN;
  END IF;
  is_duplicate := false;

  matched_order_id := p_order_id;
  IF matched_order_id IS NULL AND p_checkout_session_id IS NOT NULL THEN
    SELECT o.id INTO matched_order_id
    FROM orders o WHERE o.stripe_checkout_session_id = p_checkout_session_id;
  END IF;
  IF matched_order_id IS NULL AND p_invoice_id IS NOT NULL THEN
    SELECT o.id INTO matched_order_id
    FROM orders o WHERE o.stripe_invoice_id = p_invoice_id;
  END IF;
  matched_order_id := coalesce(matched_order_id, p_subscription_order_id);

  -- The lock makes concurrent events for one order take turns; each then
  -- decides on the row as the one before it left it.
  SELECT * INTO v_order FROM orders o WHERE o.id = matched_order_id FOR UPDATE;

  IF FOUND AND p_checkout_session_id IS NOT NULL
     AND v_order.stripe_checkout_session_id IS NULL THEN
    -- Marks the order as paid through Checkout, where a declined card is no
    -- outcome: the customer is still on the page.
    UPDATE orders SET stripe_checkout_session_id = p_checkout_session_id
    WHERE id = v_order.id;
    v_order.stripe_checkout_session_id := p_checkout_session_id;
  END IF;

  IF p_outcome IS NULL THEN
    event_disposition := 'ignored';
    event_reason := p_reason_if_ignored;
  ELSIF v_order.id IS NULL AND matched_order_id IS NULL THEN
    -- No order id of ours, and no stored Stripe id either: another
    -- integration's payment, or one settle does not know.
    event_disposition := 'ignored';
    event_reason := p_reason_if_ignored;
  ELSIF v_order.id IS NULL THEN
    event_disposition := 'unmatched';
  ELSIF v_order.status IN ('SUCCEEDED', 'EXPIRED') THEN
    event_disposition := 'refused';
    event_reason := 'order_is_final';
  ELSIF p_only_outside_checkout AND v_order.stripe_checkout_session_id IS NOT NULL THEN
    event_disposition := 'ignored';
    event_reason := 'inside_checkout';
  ELSIF p_expected_livemode IS NOT NULL AND p_livemode <> p_expected_livemode THEN
    event_disposition := 'refused';
    event_reason := 'livemode_mismatch';
  ELSIF p_outcome = 'SUCCEEDED' AND v_order.amount IS NOT NULL
        AND (p_paid_amount IS DISTINCT FROM v_order.amount
             OR p_paid_currency IS DISTINCT FROM v_order.currency) THEN
    event_disposition := 'refused';
    event_reason := 'amount_mismatch';
  ELSE
    UPDATE orders o
    SET status = p_outcome,
        version = o.version + 1,
        action_url = CASE WHEN p_outcome = 'ACTION_REQUIRED'
                          THEN p_action_url ELSE o.action_url END
    WHERE o.id = v_order.id
    RETURNING o.status, o.version, o.updated_at
    INTO order_status, order_version, order_updated_at;
    event_disposition := 'applied';
  END IF;

  IF order_status IS NULL THEN
    order_status := v_order.status;
  END IF;
  UPDATE stripe_events
  SET disposition = event_disposition, reason = event_reason,
      order_id = coalesce(v_order.id, matched_order_id)
  WHERE id = p_event_id;
END;
$$;

COMMENT ON FUNCTION settle_record_stripe_event(
  text, text, timestamptz, text, boolean, text, uuid, uuid, text, text, text, boolean,
  bigint, text, boolean, text, text
) IS
  'Records one verified Stripe event in stripe_events and applies the outcome '
  'it means (p_outcome, NULL for none) to the order it finds (through '
  'p_order_id, the stored Checkout Session or invoice id, then '
  'p_subscription_order_id) if the status rules allow it and, for a success, '
  'the amount, currency and livemode match. One statement; returns whether '
  'the event was a redelivery, the disposition and reason recorded, and the '
  'order''s status and version. Safe to call twice with one event.';
