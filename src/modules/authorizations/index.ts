// The authorizations module: a player's grants to games, their one-tap allowances and game tokens.
export { authorizeGame, type AuthorizeGameInput } from './authorize-game.js';
export { updateGameAuthorization, type UpdateGameAuthorizationInput } from './update-game-authorization.js';
export { revokeGameAuthorization } from './revoke-game-authorization.js';
export { listAuthorizations, getAuthorizationsByIds, getActiveAuthorization } from './list-authorizations.js';
export { parseAllowance, type GameAuthorization, type MoneyInput, type Allowance } from './authorization-rows.js';
