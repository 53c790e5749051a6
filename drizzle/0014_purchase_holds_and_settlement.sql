ALTER TABLE "purchases" ADD COLUMN "recovery_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "purchases" ADD COLUMN "failure_reason" text;--> statement-breakpoint
ALTER TABLE "purchases" ADD COLUMN "stock_hold_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "purchases" ADD COLUMN "stock_released" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "purchases_stock_hold_idx" ON "purchases" USING btree ("stock_hold_until") WHERE "purchases"."status" in ('REQUIRES_CONFIRMATION', 'REQUIRES_ACTION') and not "purchases"."stock_released";--> statement-breakpoint
CREATE INDEX "purchases_settlement_failed_idx" ON "purchases" USING btree ("updated_at","id") WHERE "purchases"."decline_code" = 'settlement_failed';