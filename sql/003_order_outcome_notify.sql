-- Announce every recorded outcome on channel settle_order_outcomes.
--
-- Each settle process holds one LISTEN connection on this channel and wakes
-- the streams waiting for the order. The notification is sent when the
-- transaction commits, and not at all when it rolls back.

CREATE FUNCTION orders_notify_outcome() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Only an outcome is news: an INSERT that is already an outcome, or an
  -- UPDATE that moved version. This comparison with OLD lives here and not in
  -- the trigger's WHEN clause, which cannot refer to OLD for an INSERT.
  IF NEW.status = 'PENDING' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.version = OLD.version THEN
    RETURN NULL;
  END IF;

  -- A few fixed fields, far below NOTIFY's 8000-byte payload limit (a larger
  -- payload would fail the whole transaction). Never the whole row.
  PERFORM pg_notify(
    'settle_order_outcomes',
    json_build_object(
      'order_id', NEW.id,
      'status', NEW.status,
      'version', NEW.version,
      'updated_at', NEW.updated_at
    )::text
  );
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION orders_notify_outcome() IS
  'AFTER INSERT OR UPDATE on orders: when an outcome is recorded (status is '
  'not PENDING and version changed), sends pg_notify on channel '
  'settle_order_outcomes with JSON {order_id, status, version, updated_at}. '
  'Delivered at COMMIT to every settle process; nothing on ROLLBACK.';

CREATE TRIGGER orders_notify_outcome
  AFTER INSERT OR UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_notify_outcome();

COMMENT ON TRIGGER orders_notify_outcome ON orders IS
  'Wakes waiting streams; see function orders_notify_outcome().';
