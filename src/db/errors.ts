/**
 * PostgreSQL errors, classified in one place by SQLSTATE and node error code
 * rather than by message text wherever the driver gives a code.
 */

const NODE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** admin_shutdown, crash_shutdown, cannot_connect_now, query_canceled (timeout). */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014']);

/**
 * The database is away or too slow to answer: the same request may work
 * again shortly. Not for errors of the request itself.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    return (
      NODE_NETWORK_CODES.has(code) ||
      code.startsWith('08') ||
      UNAVAILABLE_SQLSTATES.has(code)
    );
  }
  // node-postgres gives these no code: a connection cut mid-query, a client
  // used after its connection broke, and a pool that found no free
  // connection in time.
  const message = error instanceof Error ? error.message : '';
  return /^Connection terminated|is not queryable|timeout exceeded when trying to connect/.test(
    message,
  );
}
