ALTER TABLE "purchases" ADD COLUMN "refund_pending_minor" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- What refunds pending now hold (instances of the previous release do not count it: the next
-- settle or failure floors it at zero instead of refusing).
UPDATE "purchases" p SET "refund_pending_minor" = least(r.pending, p."refunded_minor")
  FROM (SELECT "purchase_id", sum("amount_minor") AS pending FROM "refunds" WHERE "status" = 'pending' GROUP BY "purchase_id") r
  WHERE r."purchase_id" = p."id";--> statement-breakpoint
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_refund_pending_bounded" CHECK ("purchases"."refund_pending_minor" >= 0 and "purchases"."refund_pending_minor" <= "purchases"."refunded_minor");