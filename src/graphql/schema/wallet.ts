import { builder } from '../builder.js';
import { MoneyRef } from '../scalars.js';
import { getWallet } from '../../modules/wallet/index.js';
import { decodeId } from '../relay.js';

builder.queryField('wallet', (t) =>
  t.field({
    type: [MoneyRef],
    description:
      "A player's balance in each of the game's currencies (0 where none). A player's game token or session: their own; the game's secret key, its developer or an operator: name the player with playerId.",
    args: {
      gameId: t.arg.id({ required: true, description: 'The game whose currencies to count (gam_…).' }),
      playerId: t.arg.id({
        description:
          "Whose wallet (ply_…): required with the secret key, a developer or operator token; a player's own credentials need none.",
      }),
    },
    authScopes: { authenticated: true },
    resolve: (_root, { gameId, playerId }, ctx) =>
      getWallet(
        ctx.service,
        decodeId('Game', gameId, 'gameId'),
        playerId == null ? null : decodeId('Player', playerId, 'playerId'),
      ),
  }),
);
