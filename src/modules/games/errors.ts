import { DomainError } from '../../shared/errors.js';

/** defineCurrency with a code the game already has. */
export class CurrencyCodeTakenError extends DomainError {
  readonly code = 'CURRENCY_CODE_TAKEN';
  constructor(readonly currencyCode: string) {
    super(`This game already has a currency with code ${currencyCode}.`);
  }
}
