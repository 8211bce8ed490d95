/**
 * Polls until a check passes or a deadline expires: no fixed sleeps.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  {
    timeoutMs = 5_000,
    intervalMs = 10,
  }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
