import { InvalidStateError } from '../../shared/errors.js';
import type { PurchaseStatus } from '../../db/schema/purchases.js';

/**
 * The purchase state machine of docs/architecture.md. Every status change goes through `assertTransition`,
 * and SQL updates also guard on the expected current status so that concurrent writers cannot skip it.
 */
export const TRANSITIONS: Readonly<Record<PurchaseStatus, readonly PurchaseStatus[]>> = {
  REQUIRES_CONFIRMATION: ['PROCESSING', 'REQUIRES_ACTION', 'FAILED', 'CANCELED'],
  // REQUIRES_ACTION → REQUIRES_ACTION: a confirmation without the CVC records the new card and risk, still waiting.
  REQUIRES_ACTION: ['REQUIRES_ACTION', 'PROCESSING', 'FAILED', 'CANCELED'],
  PROCESSING: ['SUCCEEDED', 'FAILED', 'REQUIRES_ACTION'],
  SUCCEEDED: ['REFUNDED', 'PARTIALLY_REFUNDED'],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  FAILED: [],
  CANCELED: [],
  REFUNDED: [],
};

export function canTransition(from: PurchaseStatus, to: PurchaseStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: PurchaseStatus, to: PurchaseStatus): void {
  if (!canTransition(from, to))
    throw new InvalidStateError(`A ${from.toLowerCase()} purchase cannot become ${to.toLowerCase()}.`);
}

/** Statuses in which the player was (or may have been) charged and the units count toward limits. */
export const COUNTED_STATUSES: readonly PurchaseStatus[] = [
  'PROCESSING',
  'SUCCEEDED',
  'REFUNDED',
  'PARTIALLY_REFUNDED',
];
/** Statuses waiting for the player in the pay sheet; they hold stock until confirmed, canceled or expired. */
export const AWAITING_STATUSES: readonly PurchaseStatus[] = ['REQUIRES_CONFIRMATION', 'REQUIRES_ACTION'];
export const FINAL_STATUSES: readonly PurchaseStatus[] = ['FAILED', 'CANCELED', 'REFUNDED'];
