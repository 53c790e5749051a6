// Imports every type file (order: shared pieces first) and builds the schema.
import { builder } from '../builder.js';
import '../scalars.js';
import '../errors.js';
import './accounts.js';
import './games.js';
import './catalog.js';
import './fraud.js';
import './cards.js';
import './authorizations.js';
import './purchases.js';
import './webhooks.js';
import './subscriptions.js';
import './reports.js';
import './inventory.js';
import './wallet.js';
import './ledger.js';
import './refunds.js';

export const schema = builder.toSchema({ sortSchema: true });
