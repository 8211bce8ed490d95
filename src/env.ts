/**
 * Reading single environment variables: trimmed, with a default, checked.
 * A bad value throws a ConfigError that names the variable, so that a start
 * fails with a message an operator can act on.
 */
import { ConfigError } from './errors.js';

export function readHttpUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = readOptional(env, name);
  if (value !== undefined && !/^https?:\/\/[^\s]+$/.test(value)) {
    throw new ConfigError(name, 'must be an http(s) URL');
  }
  return value;
}

export function readOptional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function readBoolean(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = readOptional(env, name);
  if (raw === undefined || raw === 'false') {
    return false;
  }
  if (raw !== 'true') {
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  }
  return true;
}

export function readInteger(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const raw = readOptional(env, name);
  if (raw === undefined) {
    return fallback;
  }

  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < range.min || value > range.max) {
    throw new ConfigError(
      name,
      `must be an integer from ${range.min} to ${range.max}, got "${raw}"`,
    );
  }
  return value;
}
