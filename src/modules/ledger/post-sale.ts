import type { Executor } from '../../db/client.js';
import { splitFee } from '../../shared/money.js';
import { assertPositiveAmount, legsByKind, post } from './post.js';

export interface PostSaleInput {
  readonly purchaseId: string;
  readonly gameId: string;
  /** What the card was charged, in minor units. */
  readonly amountMinor: number;
  readonly currency: string;
  /** The game's platform fee in basis points (0..10000). */
  readonly feeBps: number;
  readonly at?: Date;
}

export interface PostSaleResult {
  readonly feeMinor: number;
  readonly netMinor: number;
  readonly transactionId: string;
  /** The sale was already posted (a retried fulfilment): the figures are the ones recorded then. */
  readonly duplicate: boolean;
}

/**
 * Posts a card sale of A with fee F = splitFee(A, feeBps): debit acquirer_receivable A, credit
 * game_payable A−F, credit platform_revenue F. Once per purchase; a repeat returns the first posting.
 */
export async function postSale(tx: Executor, input: PostSaleInput): Promise<PostSaleResult> {
  assertPositiveAmount('amountMinor', input.amountMinor);
  if (!Number.isInteger(input.feeBps) || input.feeBps < 0 || input.feeBps > 10_000)
    throw new RangeError(`feeBps must be 0..10000, got ${input.feeBps}`);
  const { fee, net } = splitFee(input.amountMinor, input.feeBps);
  const account = (kind: 'acquirer_receivable' | 'game_payable' | 'platform_revenue') => ({
    kind,
    gameId: input.gameId,
    playerId: null,
    currency: input.currency,
  });
  const posted = await post(
    tx,
    {
      kind: 'sale',
      reference: input.purchaseId,
      gameId: input.gameId,
      purchaseId: input.purchaseId,
      ...(input.at ? { at: input.at } : {}),
    },
    [
      { account: account('acquirer_receivable'), amountMinor: input.amountMinor },
      { account: account('game_payable'), amountMinor: -net },
      { account: account('platform_revenue'), amountMinor: -fee },
    ],
  );
  if (!posted.duplicate) return { feeMinor: fee, netMinor: net, transactionId: posted.transactionId, duplicate: false };
  const legs = await legsByKind(tx, posted.transactionId);
  return {
    feeMinor: -(legs.get('platform_revenue') ?? 0),
    netMinor: -(legs.get('game_payable') ?? 0),
    transactionId: posted.transactionId,
    duplicate: true,
  };
}
