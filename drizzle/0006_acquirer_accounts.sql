-- Rows made before accounts existed keep account '' and belong to no secret (sandbox data only).
ALTER TABLE "acquirer_cards" ADD COLUMN "account" text NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE "acquirer_cards" ALTER COLUMN "account" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "acquirer_charges" ADD COLUMN "account" text NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE "acquirer_charges" ALTER COLUMN "account" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "acquirer_disputes" ADD COLUMN "account" text NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE "acquirer_disputes" ALTER COLUMN "account" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "acquirer_idempotency_keys" ADD COLUMN "account" text NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE "acquirer_idempotency_keys" ALTER COLUMN "account" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "acquirer_webhook_endpoints" ADD COLUMN "account" text NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE "acquirer_webhook_endpoints" ALTER COLUMN "account" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "acquirer_charges" DROP CONSTRAINT "acquirer_charges_idempotency_key_unique";--> statement-breakpoint
ALTER TABLE "acquirer_webhook_endpoints" DROP CONSTRAINT "acquirer_webhook_endpoints_url_unique";--> statement-breakpoint
DROP INDEX "acquirer_disputes_created_idx";--> statement-breakpoint
ALTER TABLE "acquirer_idempotency_keys" DROP CONSTRAINT "acquirer_idempotency_keys_operation_key_pk";--> statement-breakpoint
ALTER TABLE "acquirer_idempotency_keys" ADD CONSTRAINT "acquirer_idempotency_keys_account_operation_key_pk" PRIMARY KEY("account","operation","key");--> statement-breakpoint
CREATE UNIQUE INDEX "acquirer_charges_account_key_uq" ON "acquirer_charges" USING btree ("account","idempotency_key");--> statement-breakpoint
CREATE INDEX "acquirer_disputes_account_created_idx" ON "acquirer_disputes" USING btree ("account","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "acquirer_webhook_endpoints_account_url_uq" ON "acquirer_webhook_endpoints" USING btree ("account","url");
