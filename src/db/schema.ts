/**
 * The tables as kysely sees them. sql/ is the source of truth; these types
 * follow it by hand and the tests read and write every column through them.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';

import type { OrderStatus } from '../orders/status.js';

/** How the order's payment is started; see sql/007_order_payments.sql. */
export type OrderMode = 'local' | 'payment' | 'subscription' | 'seats';

/** bigint comes back from pg as a string; we write numbers. */
type Bigint = ColumnType<string, number | string, number | string>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface OrdersTable {
  id: Generated<string>;
  owner: string;
  status: ColumnType<OrderStatus, OrderStatus | undefined, OrderStatus>;
  version: ColumnType<number, number | undefined, number>;
  amount: Bigint | null;
  currency: string | null;
  stripe_checkout_session_id: string | null;
  stripe_payment_intent_id: string | null;
  stripe_subscription_id: string | null;
  stripe_invoice_id: string | null;
  action_url: string | null;
  mode: ColumnType<OrderMode, OrderMode | undefined, OrderMode>;
  stripe_price_id: string | null;
  quantity: number | null;
  checkout_url: string | null;
  stripe_error_code: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type EventDisposition = 'applied' | 'refused' | 'ignored' | 'unmatched';

export interface StripeEventsTable {
  id: string;
  type: string;
  created: Timestamp;
  api_version: string | null;
  livemode: boolean;
  stripe_object_id: string | null;
  order_id: string | null;
  disposition: EventDisposition;
  reason: string | null;
  received_at: Timestamp;
}

export interface OrderStatusHistoryTable {
  id: Generated<string>;
  order_id: string;
  old_status: OrderStatus;
  new_status: OrderStatus;
  version: number;
  stripe_event_id: string | null;
  changed_at: Timestamp;
}

export interface SettleMigrationsTable {
  name: string;
  checksum: string;
  applied_at: Timestamp;
}

export interface Database {
  settle_migrations: SettleMigrationsTable;
  orders: OrdersTable;
  stripe_events: StripeEventsTable;
  order_status_history: OrderStatusHistoryTable;
}

export type OrderRow = Selectable<OrdersTable>;
