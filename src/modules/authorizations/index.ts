// The authorizations module: a player's grants to games, their one-tap allowances and game tokens.
export {
  authorizeGame,
  authorizeGameInput,
  type AuthorizeGameInput,
  type AuthorizeGameResult,
} from './authorize-game.js';
export {
  exchangeCode,
  isRegisteredRedirect,
  OAuthError,
  CODE_TTL_MS,
  GAME_TOKEN_SCOPE,
  type CodeExchange,
} from './oauth-codes.js';
export {
  updateGameAuthorization,
  updateGameAuthorizationInput,
  type UpdateGameAuthorizationInput,
} from './update-game-authorization.js';
export { revokeGameAuthorization } from './revoke-game-authorization.js';
export { listAuthorizations, getAuthorizationsByIds, getActiveAuthorization } from './list-authorizations.js';
export {
  allowanceOf,
  toAuthorization,
  type GameAuthorization,
  type Allowance,
} from './authorization-rows.js';
