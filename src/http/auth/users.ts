/**
 * Who is calling: the `sub` of a bearer JWT, verified with jose, either with
 * a shared HS256 secret or against an identity provider's JWKS.
 */
import type { KeyObject } from 'node:crypto';

import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';

import type { Config } from '../../config.js';
import { UnauthorizedError } from '../../errors.js';
import { hmacKey, verifyOrExplain } from './verify.js';
import { WAIT_TOKEN_AUDIENCE } from './wait-tokens.js';

export interface UserVerifier {
  /** The caller's user id, from `Authorization: Bearer …`; throws 401. */
  verify(authorization: string | undefined): Promise<string>;
}

const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

export function createUserVerifier(config: Config): UserVerifier {
  const key: KeyObject | JWTVerifyGetKey =
    config.authJwksUrl === undefined
      ? hmacKey(config.authJwtSecret!)
      : createRemoteJWKSet(new URL(config.authJwksUrl));
  const algorithms = config.authJwksUrl === undefined ? ['HS256'] : ASYMMETRIC_ALGORITHMS;

  return {
    async verify(authorization) {
      const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
      if (token === undefined) {
        throw new UnauthorizedError(
          'missing_token',
          'Authorization: Bearer <token> is required',
        );
      }
      const { payload } = await verifyOrExplain(() =>
        jwtVerify(token, key as KeyObject, {
          algorithms,
          // A token without an expiry would be good forever.
          requiredClaims: ['exp', 'sub'],
          ...(config.authJwtIssuer === undefined ? {} : { issuer: config.authJwtIssuer }),
          ...(config.authJwtAudience === undefined
            ? {}
            : { audience: config.authJwtAudience }),
        }),
      );
      // A wait token proves only the right to wait on one order.
      const audience = [payload.aud ?? []].flat();
      if (
        typeof payload.sub !== 'string' ||
        payload.sub === '' ||
        audience.includes(WAIT_TOKEN_AUDIENCE)
      ) {
        throw new UnauthorizedError('invalid_token', 'the token names no user');
      }
      return payload.sub;
    },
  };
}

/**
 * A user's bearer token, signed with an HS256 secret as a shop's identity
 * provider would: for the development panel, the CLI and the tests.
 */
export function signUserToken(
  secret: string,
  user: string,
  ttl: string,
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(hmacKey(secret));
}
