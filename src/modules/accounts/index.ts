// The accounts module: developers, players, sessions and credentials.
export {
  signUpDeveloper,
  signUpPlayer,
  signUpDeveloperInput,
  signUpPlayerInput,
  type SignUpDeveloperInput,
  type SignUpPlayerInput,
  type DeveloperRow,
  type PlayerRow,
} from './sign-up.js';
export { logInDeveloper, logInPlayer, logInInput, type LogInInput } from './log-in.js';
export { logOut, logOutEverywhere, openSession } from './sessions.js';
export { authenticate, hasCachedPrincipal } from './authenticate.js';
export { createPrincipalCache, type PrincipalCache, type CachedPrincipal } from './principal-cache.js';
export { announceRevocation, REVOCATION_CHANNEL, type Revocation, type CredentialKind } from './revocations.js';
export { getDevelopersByIds, getPlayersByIds, playerView, type PlayerView } from './get-accounts.js';
export { hashToken, TOKEN_PREFIX } from './tokens.js';
export { hashPassword, verifyPassword, assertPasswordStrength } from './passwords.js';
