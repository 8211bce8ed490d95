-- Orders whose payment settle starts in Stripe itself: a Checkout Session
-- (payment or subscription) or a change of a subscription's seats.
--
-- A caller's Idempotency-Key is kept with the order it created, with a hash
-- of the request, so a retry gets the same order back and never a second
-- payment.

ALTER TABLE orders
  ADD COLUMN mode text NOT NULL DEFAULT 'local'
    CHECK (mode IN ('local', 'payment', 'subscription', 'seats')),
  ADD COLUMN stripe_price_id text,
  ADD COLUMN quantity integer CHECK (quantity > 0),
  ADD COLUMN checkout_url text,
  ADD COLUMN stripe_error_code text,
  ADD COLUMN idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  ADD COLUMN request_hash text,
  ADD CONSTRAINT orders_idempotency_key_with_hash
    CHECK ((idempotency_key IS NULL) = (request_hash IS NULL));

CREATE UNIQUE INDEX orders_owner_idempotency_key_key
  ON orders (owner, idempotency_key) WHERE idempotency_key IS NOT NULL;

COMMENT ON COLUMN orders.mode IS
  'local: only this row (the shop creates the Stripe objects and puts the '
  'order id in their metadata). payment, subscription: settle created a '
  'Checkout Session. seats: settle changed a subscription''s quantity and '
  'settles from the invoice that change created.';
COMMENT ON COLUMN orders.stripe_price_id IS 'The Stripe price ordered (price_...).';
COMMENT ON COLUMN orders.quantity IS 'How many of the price: items, or seats.';
COMMENT ON COLUMN orders.checkout_url IS
  'The Checkout Session''s page, where the frontend sends the customer.';
COMMENT ON COLUMN orders.stripe_error_code IS
  'Stripe''s error code (or the kind of failure) when starting the payment '
  'failed; the order is then FAILED. Cleared when a retry succeeds.';
COMMENT ON COLUMN orders.idempotency_key IS
  'The caller''s Idempotency-Key header, unique per owner.';
COMMENT ON COLUMN orders.request_hash IS
  'SHA-256 of the request body that came with idempotency_key: the same key '
  'with another body is refused.';
