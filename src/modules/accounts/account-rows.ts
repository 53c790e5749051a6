import { getTableColumns } from 'drizzle-orm';
import { developers, players } from '../../db/schema/index.js';

/** A developer account as the rest of the app sees it: its password hash is never read out. */
export type DeveloperRow = Omit<typeof developers.$inferSelect, 'passwordHash'>;
/** A player's Coinslot account, without its password hash. */
export type PlayerRow = Omit<typeof players.$inferSelect, 'passwordHash'>;

const { passwordHash: _developerHash, ...developerColumnsWithoutHash } = getTableColumns(developers);
const { passwordHash: _playerHash, ...playerColumnsWithoutHash } = getTableColumns(players);

/** The columns to select or return for a DeveloperRow / PlayerRow. */
export const developerColumns = developerColumnsWithoutHash;
export const playerColumns = playerColumnsWithoutHash;

/** The account without its hash, after a password check read the whole row. */
export function withoutPasswordHash<T extends { passwordHash: string }>(account: T): Omit<T, 'passwordHash'> {
  const { passwordHash: _hash, ...rest } = account;
  return rest;
}
