/**
 * PostgreSQL errors, classified in one place by SQLSTATE rather than by
 * message text.
 */

/** Class 08 (connection exception) and the shutdown codes of class 57P. */
const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P03']);
const RETRYABLE_CODES = new Set(['40001', '40P01']);
const NODE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) {
    return undefined;
  }
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The server went away, or never answered: the same request may work later. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NODE_NETWORK_CODES.has(code)) {
    return true;
  }
  const sqlState = sqlStateOf(error);
  if (sqlState !== undefined) {
    return sqlState.startsWith('08') || CONNECTION_LOST_CODES.has(sqlState);
  }
  // node-postgres reports a connection that ended mid-query with a plain Error.
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout/i.test(message);
}

/** Serialization failure or deadlock: running the transaction again is safe. */
export function isRetryableError(error: unknown): boolean {
  const sqlState = sqlStateOf(error);
  return (
    (sqlState !== undefined && RETRYABLE_CODES.has(sqlState)) || isConnectionError(error)
  );
}

/** A row broke a CHECK constraint or the status rules trigger. */
export function isCheckViolation(error: unknown): boolean {
  return sqlStateOf(error) === '23514';
}
