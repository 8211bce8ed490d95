/**
 * What the token checkers share: HS256 keys, and jose's verification errors
 * as the 401 answers settle gives.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';

import { errors } from 'jose';

import { UnauthorizedError } from '../../errors.js';

/** Runs a jose verification, turning its errors into a 401 that says why. */
export async function verifyOrExplain<T>(verify: () => Promise<T>): Promise<T> {
  try {
    return await verify();
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new UnauthorizedError('token_expired', 'the token has expired');
    }
    if (error instanceof errors.JOSEError) {
      throw new UnauthorizedError('invalid_token', 'the token does not verify');
    }
    throw error;
  }
}

/**
 * An HS256 secret as a key object, made once: jose keeps the key it derives
 * from one object, where raw bytes would be imported again for every token.
 */
export function hmacKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}
