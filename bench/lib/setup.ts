// The benchmark's data: a game with items through the API (as a developer would), then thousands of
// players, cards, authorizations, catalog items and purchase history by direct batched SQL (the API
// path costs an argon2 hash and an acquirer verification per player: minutes for a few thousand).
import { randomBytes, randomUUID } from 'node:crypto';
import { parsePublicId } from '../../src/shared/public-ids.js';
import type pg from 'pg';
import { hashToken } from '../../src/modules/accounts/tokens.js';
import {
  ADD_CARD,
  AUTHORIZE_GAME,
  CREATE_GAME,
  CREATE_ITEM,
  DEFINE_CURRENCY,
  mustMutate,
  SIGN_UP_DEVELOPER,
  SIGN_UP_PLAYER,
} from './graphql.js';

export interface BenchItem {
  readonly id: string;
  readonly rawId: string;
  readonly price: { amount: string; currency: string };
}

export interface BenchGame {
  readonly id: string;
  readonly rawId: string;
  readonly publishableKey: string;
  readonly secretKey: string;
  readonly items: Record<string, BenchItem>;
}

export interface BenchPlayer {
  readonly id: string;
  readonly gameToken: string;
}

/** The row id (UUID) inside a public id (`gam_…`, `itm_…`, `crd_…`). */
const rawId = (id: string): string => {
  const parsed = parsePublicId(id);
  if (!parsed) throw new Error(`not a public id: ${id}`);
  return parsed.rowId;
};

function unique(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}@bench.test`;
}

/** A developer; and per game: the GEM currency and the standard items (life $0.99, gems pack $4.99, shield 50 GEM). */
export async function createDeveloper(url: string): Promise<string> {
  const dev = await mustMutate(
    url,
    SIGN_UP_DEVELOPER,
    { email: unique('dev'), password: 'bench-developer-password', name: 'Bench' },
    null,
    'signUpDeveloper',
    'DeveloperAuthPayload',
  );
  return dev.token as string;
}

export async function createGame(url: string, devToken: string, name: string, withItems = true): Promise<BenchGame> {
  const created = await mustMutate(
    url,
    CREATE_GAME,
    { name, defaultCurrency: 'USD' },
    devToken,
    'createGame',
    'CreateGamePayload',
  );
  const id = created.game.id as string;
  const items: Record<string, BenchItem> = {};
  if (withItems) {
    await mustMutate(
      url,
      DEFINE_CURRENCY,
      { gameId: id, code: 'GEM', name: 'Gems' },
      devToken,
      'defineCurrency',
      'DefineCurrencyPayload',
    );
    const specs = [
      { sku: 'life', kind: 'CONSUMABLE', prices: [{ amount: '99', currency: 'USD' }] },
      {
        sku: 'gems',
        kind: 'CURRENCY_PACK',
        prices: [{ amount: '499', currency: 'USD' }],
        grants: { amount: '500', currency: 'GEM' },
      },
      { sku: 'shield', kind: 'CONSUMABLE', prices: [{ amount: '50', currency: 'GEM' }] },
    ];
    for (const spec of specs) {
      const made = await mustMutate(
        url,
        CREATE_ITEM,
        { gameId: id, name: spec.sku, ...spec },
        devToken,
        'createItem',
        'CreateItemPayload',
      );
      items[spec.sku] = { id: made.item.id, rawId: rawId(made.item.id), price: spec.prices[0]! };
    }
  }
  return { id, rawId: rawId(id), publishableKey: created.publishableKey, secretKey: created.secretKey, items };
}

/**
 * Fraud thresholds far above the platform maxima for the bench game (direct SQL: updateRiskSettings
 * refuses them). Every counter is still read and updated in Redis on each purchase; only the limits
 * move, because all the load comes from one IP (127.0.0.1) and 10 distinct cards per IP is the
 * loosest the API allows.
 */
export async function relaxRiskSettings(pool: pg.Pool, gameRawId: string): Promise<void> {
  const big = 1_000_000_000;
  await pool.query(
    `insert into risk_settings (game_id, purchases_per_minute, purchases_per_hour, declines_to_block, decline_block_seconds,
       cards_step_up_at, players_per_card_block_at, cards_per_ip_block_at, cards_per_device_block_at, new_card_age_seconds,
       daily_amount_caps, new_card_step_up_amounts)
     values ($1, $2, $2, 5, 1800, 5, $2, $2, $2, 300, $3, $3)
     on conflict (game_id) do update set purchases_per_minute = excluded.purchases_per_minute, purchases_per_hour = excluded.purchases_per_hour,
       cards_per_ip_block_at = excluded.cards_per_ip_block_at, players_per_card_block_at = excluded.players_per_card_block_at,
       cards_per_device_block_at = excluded.cards_per_device_block_at, daily_amount_caps = excluded.daily_amount_caps,
       new_card_step_up_amounts = excluded.new_card_step_up_amounts`,
    [gameRawId, big, JSON.stringify({ USD: 1_000_000_000_000 })],
  );
}

/** One player made through the API (sign-up, a real approved card at the acquirer, authorization); returns the card's acquirer token. */
export async function templateCardToken(url: string, pool: pg.Pool, game: BenchGame): Promise<string> {
  const player = await mustMutate(
    url,
    SIGN_UP_PLAYER,
    { email: unique('player'), password: 'bench-player-password', displayName: 'Template' },
    null,
    'signUpPlayer',
    'PlayerAuthPayload',
  );
  const card = await mustMutate(
    url,
    ADD_CARD,
    { number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123', holderName: 'Bench Player' },
    player.token,
    'addCard',
    'AddCardPayload',
  );
  await mustMutate(
    url,
    AUTHORIZE_GAME,
    { gameId: game.id, oneTapMax: { amount: '1000', currency: 'USD' }, dailyCap: { amount: '5000', currency: 'USD' } },
    player.token,
    'authorizeGame',
    'AuthorizeGamePayload',
  );
  const { rows } = await pool.query<{ acquirer_token: string }>('select acquirer_token from cards where id = $1', [
    rawId(card.card.id),
  ]);
  return rows[0]!.acquirer_token;
}

/**
 * `count` players, each with a default card (the template's acquirer token, its own fingerprint, added
 * a day ago) and an authorization of `games` with a large one-tap allowance; batched inserts.
 */
export async function insertPlayers(
  pool: pg.Pool,
  options: { count: number; games: readonly BenchGame[]; pepper: string; acquirerToken: string; label: string },
): Promise<Map<string, BenchPlayer[]>> {
  const byGame = new Map<string, BenchPlayer[]>(options.games.map((g) => [g.id, []]));
  const batch = 1000;
  for (let start = 0; start < options.count; start += batch) {
    const n = Math.min(batch, options.count - start);
    const ids = Array.from({ length: n }, () => randomUUID());
    const emails = ids.map((id) => `${options.label}-${id}@bench.test`);
    await pool.query(
      `insert into players (id, email, display_name, password_hash) select id, email, 'Bench player', 'bench:no-login' from unnest($1::uuid[], $2::text[]) as t(id, email)`,
      [ids, emails],
    );
    const fingerprints = ids.map(() => randomBytes(32).toString('base64url'));
    await pool.query(
      `insert into cards (id, player_id, acquirer_token, brand, last4, exp_month, exp_year, holder_name, fingerprint, is_default, created_at)
       select gen_random_uuid(), p, $2, 'visa', '4242', 12, 2040, 'Bench Player', f, true, now() - interval '1 day'
       from unnest($1::uuid[], $3::text[]) as t(p, f)`,
      [ids, options.acquirerToken, fingerprints],
    );
    for (const game of options.games) {
      const tokens = ids.map(() => `gt_${randomBytes(32).toString('base64url')}`);
      const hashes = tokens.map((t) => hashToken(options.pepper, t));
      await pool.query(
        `insert into game_authorizations (id, player_id, game_id, one_tap_max_minor, daily_cap_minor, currency, token_hash)
         select gen_random_uuid(), p, $2, 100000000, 1000000000000, 'USD', h from unnest($1::uuid[], $3::text[]) as t(p, h)`,
        [ids, game.rawId, hashes],
      );
      const list = byGame.get(game.id)!;
      for (const [i, id] of ids.entries()) list.push({ id, gameToken: tokens[i]! });
    }
  }
  return byGame;
}

/** `count` catalog items (and their USD prices) for a game, oldest first a millisecond apart. */
export async function insertItems(pool: pg.Pool, gameRawId: string, count: number): Promise<void> {
  const batch = 20_000;
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    await pool.query(
      `with made as (
         insert into items (id, game_id, sku, name, description, kind, created_at, updated_at)
         select gen_random_uuid(), $1, 'sku-' || g, 'Item ' || g, 'A benchmark item', 'CONSUMABLE',
                date_trunc('milliseconds', now()) - interval '1 day' + g * interval '1 millisecond', now()
         from generate_series($2::int, $3::int) g
         returning id)
       insert into item_prices (item_id, currency, amount_minor) select id, 'USD', 99 from made`,
      [gameRawId, start + 1, end],
    );
  }
}

/**
 * `count` SUCCEEDED one-tap purchases of `item` for one player, a second apart, newest now (direct SQL:
 * history only; these rows have no ledger entries). Returns cursors of the pages after row `offsets`.
 */
export async function insertHistory(
  pool: pg.Pool,
  options: { gameRawId: string; playerId: string; itemRawId: string; count: number },
): Promise<void> {
  const batch = 50_000;
  for (let start = 0; start < options.count; start += batch) {
    const end = Math.min(options.count, start + batch);
    await pool.query(
      `insert into purchases (id, game_id, player_id, recipient_id, item_id, quantity, unit_price_minor, amount_minor, currency, fee_bps, fee_minor,
         status, path, idempotency_key, succeeded_at, created_at, updated_at)
       select gen_random_uuid(), $1, $2, $2, $3, 1, 99, 99, 'USD', 3000, 30, 'SUCCEEDED', 'one_tap', 'history-' || g,
              t, t, t
       from generate_series($4::int, $5::int) g, lateral (select date_trunc('milliseconds', now()) - g * interval '1 second' as t) x`,
      [options.gameRawId, options.playerId, options.itemRawId, start + 1, end],
    );
  }
  await pool.query('analyze purchases');
}

/** The connection cursor of the `offset`-th newest purchase visible to a player (as the API encodes it). */
export async function historyCursor(
  pool: pg.Pool,
  gameRawId: string,
  playerId: string,
  offset: number,
): Promise<string> {
  const { rows } = await pool.query<{ created_at: Date; id: string }>(
    `select created_at, id from purchases where game_id = $1 and (player_id = $2 or recipient_id = $2)
     order by created_at desc, id desc offset $3 limit 1`,
    [gameRawId, playerId, offset],
  );
  const row = rows[0]!;
  return Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString('base64url');
}
