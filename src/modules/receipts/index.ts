// The receipts module: signed purchase receipts (JWS ES256) and the public keys that verify them.
export {
  signReceipt,
  receiptJwks,
  receiptIssuer,
  RECEIPT_TYPE,
  type ReceiptFacts,
  type ReceiptPurchaseClaim,
} from './sign-receipt.js';
export { receiptKeyRing, rotateReceiptKeys, ReceiptKeyError, type ReceiptKeyRing } from './keys.js';
