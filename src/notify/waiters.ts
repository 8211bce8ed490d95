/**
 * The waiter registry: for each order id, the open streams waiting for its
 * next outcome.
 *
 * A waiter ends exactly once: with an outcome, on its timeout, when its
 * AbortSignal fires (the client went away) or it is cancelled, or when the
 * process shuts down. Whichever comes
 * first removes it, with its timer and its abort listener, so the registry is
 * empty whenever no stream is open.
 */
import type { OrderOutcome } from '../orders/outcomes.js';

export type WaitResult =
  | {
      kind: 'outcome';
      outcome: OrderOutcome;
      /**
       * performance.now() just before this instance sent the COMMIT that
       * recorded the outcome; undefined when another instance recorded it.
       */
      committingAt?: number;
    }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'shutdown' };

export interface WaitOptions {
  /** The version the client has already seen; only a later one wakes it. */
  afterVersion: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface Waiter {
  readonly orderId: string;
  readonly result: Promise<WaitResult>;
  /** Ends the waiter as aborted, unless it has ended already. */
  cancel(): void;
}

interface Entry {
  readonly afterVersion: number;
  finish(result: WaitResult): void;
}

export class WaiterRegistry {
  readonly #entriesByOrder = new Map<string, Set<Entry>>();
  readonly #committingAt = new Map<string, number>();
  #size = 0;
  #closed = false;

  /** Open waiters, over all orders. */
  get size(): number {
    return this.#size;
  }

  /** Orders that have at least one waiter. */
  get orderCount(): number {
    return this.#entriesByOrder.size;
  }

  hasWaiters(orderId: string): boolean {
    return this.#entriesByOrder.has(orderId);
  }

  /** Open waiters of one order. */
  countFor(orderId: string): number {
    return this.#entriesByOrder.get(orderId)?.size ?? 0;
  }

  /** Ids of the orders that have at least one waiter. */
  orderIds(): string[] {
    return [...this.#entriesByOrder.keys()];
  }

  register(orderId: string, options: WaitOptions): Waiter {
    let finish!: (result: WaitResult) => void;
    const result = new Promise<WaitResult>((resolve) => {
      finish = resolve;
    });

    let entries = this.#entriesByOrder.get(orderId);
    if (entries === undefined) {
      entries = new Set();
      this.#entriesByOrder.set(orderId, entries);
    }

    const { signal } = options;
    const onAbort = () => end({ kind: 'aborted' });
    const timer = setTimeout(() => end({ kind: 'timeout' }), options.timeoutMs);
    let ended = false;
    const end = (outcome: WaitResult) => {
      if (ended) {
        return;
      }
      ended = true;

      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#remove(orderId, entry);

      finish(outcome);
    };
    const entry: Entry = { afterVersion: options.afterVersion, finish: end };

    entries.add(entry);
    this.#size += 1;

    if (this.#closed) {
      // A request that slipped in during shutdown is told to go elsewhere.
      end({ kind: 'shutdown' });
    } else if (signal?.aborted) {
      end({ kind: 'aborted' });
    } else {
      signal?.addEventListener('abort', onAbort, { once: true });
    }

    return { orderId, result, cancel: () => end({ kind: 'aborted' }) };
  }

  /**
   * Notes that this instance is about to commit an outcome for the order, so
   * that its waiters can tell how long the wake-up took. Kept only while the
   * order has waiters here.
   */
  markCommitting(orderId: string, at = performance.now()): void {
    if (this.#entriesByOrder.has(orderId)) {
      this.#committingAt.set(orderId, at);
    }
  }

  /**
   * Wakes every waiter of the order that has not seen this version yet.
   * Returns how many woke. An outcome no waiter asked for is a no-op.
   */
  resolve(outcome: OrderOutcome): number {
    const entries = this.#entriesByOrder.get(outcome.orderId);
    if (entries === undefined) {
      return 0;
    }

    const committingAt = this.#committingAt.get(outcome.orderId);
    let woken = 0;
    for (const entry of [...entries]) {
      if (entry.afterVersion < outcome.version) {
        entry.finish({ kind: 'outcome', outcome, committingAt });
        woken += 1;
      }
    }
    return woken;
  }

  /**
   * Ends every waiter with `shutdown`, and every one registered from now on:
   * the process is stopping.
   */
  closeAll(): void {
    this.#closed = true;
    for (const entries of [...this.#entriesByOrder.values()]) {
      for (const entry of [...entries]) {
        entry.finish({ kind: 'shutdown' });
      }
    }
  }

  #remove(orderId: string, entry: Entry): void {
    const entries = this.#entriesByOrder.get(orderId);
    if (entries?.delete(entry) !== true) {
      return;
    }
    this.#size -= 1;
    if (entries.size === 0) {
      this.#entriesByOrder.delete(orderId);
      this.#committingAt.delete(orderId);
    }
  }
}
