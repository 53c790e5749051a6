import { DomainError } from '../../shared/errors.js';

/** createItem/updateItem with a sku another item of the game already has. */
export class SkuTakenError extends DomainError {
  readonly code = 'SKU_TAKEN';
  constructor(readonly sku: string) {
    super(`Another item of this game already has sku ${sku}.`);
  }
}
