/**
 * The waiter registry on its own: each waiter ends once, and leaves nothing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { WaiterRegistry } from '../src/notify/waiters.js';

const ORDER = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const outcome = (version: number, orderId = ORDER) => ({
  orderId,
  status: 'FAILED' as const,
  version,
  updatedAt: new Date(0).toISOString(),
  actionUrl: null,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('WaiterRegistry', () => {
  it('wakes every waiter of the order, and only those', async () => {
    const registry = new WaiterRegistry();
    const first = registry.register(ORDER, { afterVersion: 0, timeoutMs: 10_000 });
    const second = registry.register(ORDER, { afterVersion: 0, timeoutMs: 10_000 });
    const other = registry.register(OTHER, { afterVersion: 0, timeoutMs: 10_000 });

    expect(registry.resolve(outcome(1))).toBe(2);

    expect(await first.result).toEqual({ kind: 'outcome', outcome: outcome(1) });
    expect(await second.result).toEqual({ kind: 'outcome', outcome: outcome(1) });
    expect(registry.size).toBe(1);
    expect(registry.orderIds()).toEqual([OTHER]);
    other.cancel();
    expect(registry.size).toBe(0);
  });

  it('does not wake a waiter with a version it has already seen', () => {
    const registry = new WaiterRegistry();
    const waiter = registry.register(ORDER, { afterVersion: 2, timeoutMs: 10_000 });

    expect(registry.resolve(outcome(2))).toBe(0);
    expect(registry.resolve(outcome(3))).toBe(1);
    expect(registry.size).toBe(0);
    waiter.cancel();
  });

  it('times out, then forgets the waiter', async () => {
    vi.useFakeTimers();
    const registry = new WaiterRegistry();
    const waiter = registry.register(ORDER, { afterVersion: 0, timeoutMs: 500 });

    vi.advanceTimersByTime(500);

    expect(await waiter.result).toEqual({ kind: 'timeout' });
    expect(registry.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends on abort, removing its timer and its abort listener', async () => {
    vi.useFakeTimers();
    const registry = new WaiterRegistry();
    const controller = new AbortController();
    const waiter = registry.register(ORDER, {
      afterVersion: 0,
      timeoutMs: 500,
      signal: controller.signal,
    });

    controller.abort();

    expect(await waiter.result).toEqual({ kind: 'aborted' });
    expect(registry.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends at once for a signal that is already aborted', async () => {
    const registry = new WaiterRegistry();

    const waiter = registry.register(ORDER, {
      afterVersion: 0,
      timeoutMs: 500,
      signal: AbortSignal.abort(),
    });

    expect(await waiter.result).toEqual({ kind: 'aborted' });
    expect(registry.size).toBe(0);
  });

  it('keeps the first ending: a late outcome or cancel changes nothing', async () => {
    const registry = new WaiterRegistry();
    const waiter = registry.register(ORDER, { afterVersion: 0, timeoutMs: 10_000 });

    registry.resolve(outcome(1));
    waiter.cancel();
    registry.resolve(outcome(2));

    expect(await waiter.result).toEqual({ kind: 'outcome', outcome: outcome(1) });
    expect(registry.size).toBe(0);
  });

  it('ends every waiter with shutdown', async () => {
    const registry = new WaiterRegistry();
    const waiters = [ORDER, ORDER, OTHER].map((id) =>
      registry.register(id, { afterVersion: 0, timeoutMs: 10_000 }),
    );

    registry.closeAll();

    for (const waiter of waiters) {
      expect(await waiter.result).toEqual({ kind: 'shutdown' });
    }
    expect(registry.size).toBe(0);
    expect(registry.orderIds()).toEqual([]);
  });

  it('ends a waiter registered after shutdown at once', async () => {
    const registry = new WaiterRegistry();
    registry.closeAll();

    const late = registry.register(ORDER, { afterVersion: 0, timeoutMs: 10_000 });

    expect(await late.result).toEqual({ kind: 'shutdown' });
    expect(registry.size).toBe(0);
  });
});
