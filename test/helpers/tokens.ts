/**
 * Users' bearer tokens, signed as the shop's identity provider would.
 */
import { SignJWT } from 'jose';

export const TEST_JWT_SECRET = 'settle-test-jwt-secret-0123456789abcdef';
export const TEST_WAIT_TOKEN_SECRET = 'settle-test-wait-token-secret-0123456789';
export const TEST_USER = 'user-test-1';

export function signUserToken(
  sub: string = TEST_USER,
  {
    expiresIn = '10m',
    secret = TEST_JWT_SECRET,
  }: { expiresIn?: string; secret?: string } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

/** Environment variables that make settle accept the tokens above. */
export const TEST_AUTH_ENV = {
  AUTH_JWT_SECRET: TEST_JWT_SECRET,
  WAIT_TOKEN_SECRET: TEST_WAIT_TOKEN_SECRET,
};
