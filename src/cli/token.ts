/**
 * `make token [USER_ID=…]`: prints a bearer token for a user, signed with
 * AUTH_JWT_SECRET or the development secret, to call settle with curl.
 */
import { describeFailure, userToken } from './shared.js';

userToken(process.argv[2] || undefined).then(
  (token) => console.log(token),
  (error: unknown) => {
    console.error(`token failed: ${describeFailure(error)}`);
    process.exit(1);
  },
);
