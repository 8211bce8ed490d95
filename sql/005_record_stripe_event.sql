-- Recording a verified Stripe event, and the outcome it means, in one call.
--
-- settle used to run these steps as separate statements inside one
-- transaction. Each statement is a round trip between settle and the
-- database, and the latency benchmark showed those trips to be most of the
-- time from webhook to browser. The steps are the same; they now run in one
-- statement, which commits on its own, so a webhook costs one round trip.
--
-- Redeliveries: the ledger row is written first. A second copy of the event,
-- even one arriving at the same moment, waits on the primary key until the
-- first commits, then finds the row and changes nothing.

CREATE FUNCTION settle_record_stripe_event(
  p_event_id text,
  p_event_type text,
  p_created timestamptz,
  p_api_version text,
  p_livemode boolean,
  p_object_id text,
  p_order_id uuid,
  p_checkout_session_id text,
  p_outcome text,
  p_only_outside_checkout boolean,
  OUT is_duplicate boolean,
  OUT event_disposition text,
  OUT order_status text,
  OUT order_version integer,
  OUT order_updated_at timestamptz
)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stripe_events
    (id, type, created, api_version, livemode, stripe_object_id, order_id, disposition)
  VALUES
    (p_event_id, p_event_type, p_created, p_api_version, p_livemode, p_object_id,
     p_order_id, CASE WHEN p_outcome IS NULL THEN 'ignored' ELSE 'applied' END)
  ON CONFLICT (id) DO NOTHING;

  IF NOT FOUND THEN
    -- A redelivery: the first copy decided, and nothing changes now.
    is_duplicate := true;
    SELECT e.disposition INTO event_disposition
    FROM stripe_events e WHERE e.id = p_event_id;
    RETURN;
  END IF;
  is_duplicate := false;

  IF p_checkout_session_id IS NOT NULL AND p_order_id IS NOT NULL THEN
    -- Marks the order as paid through Checkout, where a declined card is no
    -- outcome: the customer is still on the page.
    UPDATE orders SET stripe_checkout_session_id = p_checkout_session_id
    WHERE id = p_order_id AND stripe_checkout_session_id IS NULL;
  END IF;

  IF p_outcome IS NULL THEN
    event_disposition := 'ignored';
    RETURN;
  END IF;

  -- The outcome applies only where the status rules allow it now. A
  -- concurrent event for the same order waits for this row's lock, and
  -- PostgreSQL then re-checks this condition against the committed row.
  UPDATE orders o
  SET status = p_outcome, version = o.version + 1
  WHERE o.id = p_order_id
    AND o.status IN ('PENDING', 'FAILED')
    AND NOT (p_only_outside_checkout AND o.stripe_checkout_session_id IS NOT NULL)
  RETURNING o.status, o.version, o.updated_at
  INTO order_status, order_version, order_updated_at;

  IF FOUND THEN
    event_disposition := 'applied';
    RETURN;
  END IF;

  -- Nothing changed; the ledger says why.
  SELECT o.status INTO order_status FROM orders o WHERE o.id = p_order_id;
  IF NOT FOUND THEN
    event_disposition := 'unmatched';
  ELSIF order_status IN ('PENDING', 'FAILED') THEN
    -- A declined card inside Checkout.
    event_disposition := 'ignored';
  ELSE
    event_disposition := 'refused';
  END IF;
  UPDATE stripe_events SET disposition = event_disposition WHERE id = p_event_id;
END;
$$;

COMMENT ON FUNCTION settle_record_stripe_event(
  text, text, timestamptz, text, boolean, text, uuid, text, text, boolean
) IS
  'Records one verified Stripe event in stripe_events and applies the outcome '
  'it means (p_outcome, NULL for none) to order p_order_id if the status rules '
  'allow it, in one statement. Returns whether the event was a redelivery, '
  'the disposition recorded, and the order''s status and version when applied. '
  'Called by settle''s webhook handler; safe to call twice with one event.';
