import { sql } from 'drizzle-orm';
import type { TestApp } from './test-app.js';

export interface AcquirerChargeRow {
  id: string;
  idempotency_key: string;
  status: string;
  amount_minor: number;
  voided_at: Date | null;
}

/** The sandbox acquirer's charges made for one purchase (every attempt key: id, id:2…). */
export async function chargesFor(app: TestApp, purchaseId: string): Promise<AcquirerChargeRow[]> {
  const result = await app.database.db.execute(
    sql`select id, idempotency_key, status, amount_minor, voided_at from acquirer_charges where idempotency_key = ${purchaseId} or idempotency_key like ${`${purchaseId}:%`}`,
  );
  return (result as unknown as { rows: AcquirerChargeRow[] }).rows;
}

/** Approved charges that kept their money (not voided). */
export function livingCharges(rows: AcquirerChargeRow[]): AcquirerChargeRow[] {
  return rows.filter((r) => r.status === 'approved' && r.voided_at === null);
}
