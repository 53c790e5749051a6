// Imports every type file (order: shared pieces first) and builds the schema.
import { GraphQLObjectType } from 'graphql';
import { builder, nodeKinds } from '../builder.js';
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

// The kinds node(id:) can load: a well-formed id of another kind (a ledger entry) is refused as such.
for (const type of Object.values(schema.getTypeMap()))
  if (type instanceof GraphQLObjectType && type.getInterfaces().some((i) => i.name === 'Node'))
    nodeKinds.add(type.name);
