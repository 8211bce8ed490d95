/**
 * Wait tokens: short-lived, signed, for waiting on one order only.
 *
 * A browser's EventSource cannot send an Authorization header, so POST
 * /orders hands out a token that the stream route accepts as `?token=` for
 * that order, and for nothing else (its own secret and audience).
 */
import { jwtVerify, SignJWT } from 'jose';

import { UnauthorizedError } from '../../errors.js';
import { hmacKey, verifyOrExplain } from './verify.js';

export const WAIT_TOKEN_AUDIENCE = 'settle:wait';

export interface WaitTokens {
  issue(orderId: string, owner: string): Promise<string>;
  /** The owner the token speaks for, if it is a live token for this order. */
  verify(token: string, orderId: string): Promise<string>;
}

export function createWaitTokens(secret: string, ttlSeconds: number): WaitTokens {
  const key = hmacKey(secret);

  return {
    issue(orderId, owner) {
      return new SignJWT({ order: orderId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(owner)
        .setAudience(WAIT_TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },

    async verify(token, orderId) {
      const { payload } = await verifyOrExplain(() =>
        jwtVerify(token, key, {
          algorithms: ['HS256'],
          audience: WAIT_TOKEN_AUDIENCE,
          requiredClaims: ['exp', 'sub'],
        }),
      );
      if (payload.order !== orderId || typeof payload.sub !== 'string') {
        throw new UnauthorizedError(
          'invalid_token',
          'the wait token is for another order',
        );
      }
      return payload.sub;
    },
  };
}
