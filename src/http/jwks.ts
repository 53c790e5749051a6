import { receiptJwks } from '../modules/receipts/index.js';
import type { Deps } from '../modules/service-context.js';

/** GET /.well-known/jwks.json: the public keys that verify receipts (current and still-valid retired ones). */
export async function jwks(deps: Deps): Promise<Response> {
  return Response.json(await receiptJwks(deps), {
    // short enough that a rotation's new key is seen soon; verifiers refetch on an unknown kid anyway
    headers: { 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' },
  });
}
