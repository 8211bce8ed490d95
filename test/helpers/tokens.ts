/**
 * Users' bearer tokens, signed as the shop's identity provider would.
 */
import { signUserToken as signWith } from '../../src/http/auth/users.js';

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
  return signWith(secret, sub, expiresIn);
}

/** Environment variables that make settle accept the tokens above. */
export const TEST_AUTH_ENV = {
  AUTH_JWT_SECRET: TEST_JWT_SECRET,
  WAIT_TOKEN_SECRET: TEST_WAIT_TOKEN_SECRET,
};
