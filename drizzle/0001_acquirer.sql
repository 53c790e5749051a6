CREATE TABLE "acquirer_cards" (
	"token" text PRIMARY KEY NOT NULL,
	"number_ciphertext" text NOT NULL,
	"cvc_verifier" text NOT NULL,
	"brand" text NOT NULL,
	"last4" text NOT NULL,
	"exp_month" integer NOT NULL,
	"exp_year" integer NOT NULL,
	"holder_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "acquirer_charges" (
	"id" text PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"card_token" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"decline_code" text,
	"risk" text NOT NULL,
	"refunded_minor" bigint DEFAULT 0 NOT NULL,
	"voided_at" timestamp with time zone,
	"dispute_due_at" timestamp with time zone,
	"disputed_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "acquirer_charges_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "acquirer_charges_amount_positive" CHECK ("acquirer_charges"."amount_minor" > 0),
	CONSTRAINT "acquirer_charges_refund_bounded" CHECK ("acquirer_charges"."refunded_minor" between 0 and "acquirer_charges"."amount_minor")
);
--> statement-breakpoint
CREATE TABLE "acquirer_dispute_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"dispute_id" text NOT NULL,
	"endpoint_id" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "acquirer_disputes" (
	"id" text PRIMARY KEY NOT NULL,
	"charge_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "acquirer_disputes_charge_id_unique" UNIQUE("charge_id")
);
--> statement-breakpoint
CREATE TABLE "acquirer_idempotency_keys" (
	"operation" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer NOT NULL,
	"response_body" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "acquirer_idempotency_keys_operation_key_pk" PRIMARY KEY("operation","key")
);
--> statement-breakpoint
CREATE TABLE "acquirer_refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"charge_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "acquirer_refunds_amount_positive" CHECK ("acquirer_refunds"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE TABLE "acquirer_webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "acquirer_webhook_endpoints_url_unique" UNIQUE("url")
);
--> statement-breakpoint
ALTER TABLE "acquirer_charges" ADD CONSTRAINT "acquirer_charges_card_token_acquirer_cards_token_fk" FOREIGN KEY ("card_token") REFERENCES "public"."acquirer_cards"("token") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acquirer_dispute_deliveries" ADD CONSTRAINT "acquirer_dispute_deliveries_dispute_id_acquirer_disputes_id_fk" FOREIGN KEY ("dispute_id") REFERENCES "public"."acquirer_disputes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acquirer_dispute_deliveries" ADD CONSTRAINT "acquirer_dispute_deliveries_endpoint_id_acquirer_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."acquirer_webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acquirer_disputes" ADD CONSTRAINT "acquirer_disputes_charge_id_acquirer_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."acquirer_charges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acquirer_refunds" ADD CONSTRAINT "acquirer_refunds_charge_id_acquirer_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."acquirer_charges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "acquirer_charges_dispute_due_idx" ON "acquirer_charges" USING btree ("dispute_due_at") WHERE "acquirer_charges"."disputed_at" is null and "acquirer_charges"."dispute_due_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "acquirer_dispute_deliveries_uq" ON "acquirer_dispute_deliveries" USING btree ("dispute_id","endpoint_id");--> statement-breakpoint
CREATE INDEX "acquirer_dispute_deliveries_due_idx" ON "acquirer_dispute_deliveries" USING btree ("next_attempt_at") WHERE "acquirer_dispute_deliveries"."delivered_at" is null;--> statement-breakpoint
CREATE INDEX "acquirer_disputes_created_idx" ON "acquirer_disputes" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "acquirer_refunds_charge_idx" ON "acquirer_refunds" USING btree ("charge_id");