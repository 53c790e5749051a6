// The games module: games, their API keys and their virtual currencies.
export { createGame, createGameInput, DEFAULT_PLATFORM_FEE_BPS, type CreateGameInput } from './create-game.js';
export { rotateGameKeys } from './rotate-game-keys.js';
export { updateGame, updateGameInput, type UpdateGameInput } from './update-game.js';
export { listRegisteredOrigins } from './registered-origins.js';
export { setGamePlatformFee, setPlatformFeeInput, type SetPlatformFeeInput } from './set-platform-fee.js';
export {
  defineCurrency,
  defineCurrencyInput,
  type DefineCurrencyInput,
  type GameCurrencyRow,
} from './define-currency.js';
export { getGamesByIds, listGames, getCurrenciesByGameIds, listCurrencyCodes } from './get-games.js';
export {
  canReadGame,
  canManageGame,
  seesGameFees,
  requireDeveloper,
  findGame,
  loadGameForWrite,
  type GameRow,
} from './access.js';
export { CurrencyCodeTakenError } from './errors.js';
export type { GameKeyPair } from './keys.js';
export {
  rotateWebhookSecret,
  rotateWebhookSecretInput,
  type RotateWebhookSecretInput,
  getWebhookSigningSecrets,
  WEBHOOK_SECRET_PREFIX,
  type RotatedWebhookSecret,
} from './webhook-secrets.js';
export { reencryptWebhookSecrets } from './reencrypt-webhook-secrets.js';
