-- The status rules, enforced by the database itself.
--
-- settle applies outcomes with a conditional UPDATE and never breaks these
-- rules; this trigger is the backstop for hand-written SQL, so that a
-- SUCCEEDED order cannot silently become FAILED or PENDING again.

CREATE FUNCTION orders_enforce_status_rules() RETURNS trigger
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
     AND NOT (NEW.status = 'FAILED' AND NEW.version = OLD.version + 1) THEN
    RAISE EXCEPTION 'order %: version may only change with an outcome '
      '(from % to %)', OLD.id, OLD.version, NEW.version
      USING ERRCODE = 'check_violation',
            HINT = 'Only another FAILED attempt keeps the status and adds one.';
  END IF;

  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

COMMENT ON FUNCTION orders_enforce_status_rules() IS
  'BEFORE UPDATE on orders: refuses any write that breaks the status rules '
  '(SUCCEEDED and EXPIRED are final; nothing returns to PENDING; version '
  'grows by exactly one per outcome, a repeated FAILED included) and keeps '
  'updated_at current. Raises check_violation (SQLSTATE 23514).';

CREATE TRIGGER orders_enforce_status_rules
  BEFORE UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_enforce_status_rules();

COMMENT ON TRIGGER orders_enforce_status_rules ON orders IS
  'Backstop for the status rules; see function orders_enforce_status_rules().';
