-- Orders: one row per payment a shop's frontend waits for.
--
-- An order starts PENDING (version 0). Each outcome Stripe reports moves it
-- to FAILED, SUCCEEDED or EXPIRED and adds one to its version, which is also
-- the id of the Server-Sent Events message that tells the frontend about it.
-- SUCCEEDED and EXPIRED are final. FAILED is not: the customer may retry, so
-- FAILED may become SUCCEEDED, EXPIRED, or FAILED again (another attempt).

CREATE TABLE orders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner text NOT NULL CHECK (length(owner) BETWEEN 1 AND 255),
  status text NOT NULL DEFAULT 'PENDING'
    CHECK (status IN ('PENDING', 'FAILED', 'SUCCEEDED', 'EXPIRED')),
  version integer NOT NULL DEFAULT 0 CHECK (version >= 0),
  amount bigint CHECK (amount > 0),
  currency text CHECK (currency ~ '^[a-z]{3}$'),
  stripe_checkout_session_id text,
  stripe_payment_intent_id text,
  stripe_subscription_id text,
  stripe_invoice_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_pending_has_version_zero
    CHECK ((status = 'PENDING') = (version = 0)),
  CONSTRAINT orders_amount_and_currency_together
    CHECK ((amount IS NULL) = (currency IS NULL))
);

COMMENT ON TABLE orders IS
  'One payment a frontend waits for. status: PENDING, then outcomes FAILED '
  '(customer may retry), SUCCEEDED or EXPIRED (both final). version counts '
  'the outcomes recorded (0 while PENDING) and is the SSE message id. '
  'Transitions are enforced by trigger orders_enforce_status_rules; each '
  'recorded outcome is announced by trigger orders_notify_outcome.';
COMMENT ON COLUMN orders.id IS
  'settle''s order id; shops put it in Stripe metadata as order_id.';
COMMENT ON COLUMN orders.owner IS
  'Who may wait on this order: the user id of the shop''s customer.';
COMMENT ON COLUMN orders.status IS
  'PENDING, FAILED, SUCCEEDED or EXPIRED. Anything but PENDING is an outcome.';
COMMENT ON COLUMN orders.version IS
  'Number of outcomes recorded; grows by exactly one per outcome, including '
  'a second FAILED attempt. 0 exactly when PENDING.';
COMMENT ON COLUMN orders.amount IS
  'Amount in the currency''s minor unit (cents), or NULL when not given.';
COMMENT ON COLUMN orders.currency IS
  'Lower-case ISO 4217 code, as Stripe writes it; NULL with amount.';
COMMENT ON COLUMN orders.stripe_checkout_session_id IS
  'Set when the order is paid through Stripe Checkout. A declined card on '
  'such an order is not an outcome: the customer may try another card.';
COMMENT ON COLUMN orders.stripe_payment_intent_id IS
  'The PaymentIntent paying this order, when known (pi_...).';
COMMENT ON COLUMN orders.stripe_subscription_id IS
  'The subscription this order changes, when it is a subscription payment.';
COMMENT ON COLUMN orders.stripe_invoice_id IS
  'The invoice that settles this order (a seat change), when known (in_...).';
COMMENT ON COLUMN orders.created_at IS 'When the frontend created the order.';
COMMENT ON COLUMN orders.updated_at IS
  'Set by trigger orders_enforce_status_rules on every update.';

CREATE INDEX orders_owner_created_at_idx ON orders (owner, created_at DESC);
