-- One Stripe object settles at most one order.
--
-- Before, an event whose metadata named one order settled that order even
-- when settle had stored the event's Checkout Session or invoice for another
-- order; the same payment could then settle both, and writing the session id
-- onto the named order broke the unique index (a 500 that Stripe retried).
-- Now the order the object names and the order that holds the object must be
-- the same: otherwise the event is refused as stripe_object_of_another_order.
-- An order id in the metadata that names no order no longer hides the stored
-- ids, so such an event still finds the order that holds its object.

CREATE OR REPLACE FUNCTION settle_record_stripe_event(
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
  v_named_id uuid;
  v_holder_id uuid;
  v_conflict boolean := false;
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

  -- The order the object names, if it exists, and the order that holds the
  -- object (its stored Checkout Session or invoice).
  SELECT o.id INTO v_named_id FROM orders o WHERE o.id = p_order_id;
  IF p_checkout_session_id IS NOT NULL THEN
    SELECT o.id INTO v_holder_id
    FROM orders o WHERE o.stripe_checkout_session_id = p_checkout_session_id;
  END IF;
  IF v_holder_id IS NULL AND p_invoice_id IS NOT NULL THEN
    SELECT o.id INTO v_holder_id
    FROM orders o WHERE o.stripe_invoice_id = p_invoice_id;
  END IF;
  -- An unknown order id in the metadata leaves the stored ids to decide; with
  -- none, it is kept so that the event is recorded as unmatched.
  matched_order_id :=
    coalesce(v_named_id, v_holder_id, p_order_id, p_subscription_order_id);

  -- The lock makes concurrent events for one order take turns; each then
  -- decides on the row as the one before it left it.
  SELECT * INTO v_order FROM orders o WHERE o.id = matched_order_id FOR UPDATE;

  -- A Stripe object belongs to one order. An event whose object another order
  -- holds, or whose order holds another object of the same kind, settles
  -- nothing: one payment must never settle two orders.
  -- (coalesce: a comparison with a NULL id means no conflict.)
  v_conflict := FOUND AND coalesce(
    v_holder_id <> v_order.id
    OR v_order.stripe_checkout_session_id <> p_checkout_session_id
    OR v_order.stripe_invoice_id <> p_invoice_id,
    false);

  IF FOUND AND NOT v_conflict AND p_checkout_session_id IS NOT NULL
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
  ELSIF v_conflict THEN
    event_disposition := 'refused';
    event_reason := 'stripe_object_of_another_order';
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
  'it means (p_outcome, NULL for none) to the order it finds (p_order_id if '
  'that order exists, else the holder of the stored Checkout Session or invoice '
  'id, else p_subscription_order_id) if the status rules allow it, no other '
  'order holds the object and, for a success, the amount, currency and livemode '
  'match. One statement; returns whether the event was a redelivery, the '
  'disposition and reason recorded, and the order''s status and version. Safe '
  'to call twice with one event.';

COMMENT ON COLUMN stripe_events.reason IS
  'Why the event was refused or ignored, when settle knows: order_is_final, '
  'amount_mismatch, livemode_mismatch, stripe_object_of_another_order, '
  'inside_checkout, stale_in_stripe, not_in_stripe, or the reason the event is '
  'no outcome at all.';
