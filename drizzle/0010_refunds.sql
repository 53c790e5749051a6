CREATE TABLE "disputes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"purchase_id" uuid NOT NULL,
	"game_id" uuid NOT NULL,
	"acquirer_dispute_id" text NOT NULL,
	"acquirer_charge_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"acquirer_amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"reason" text NOT NULL,
	"fee_returned_minor" bigint DEFAULT 0 NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "disputes_amount_bounded" CHECK ("disputes"."amount_minor" >= 0 and "disputes"."amount_minor" <= "disputes"."acquirer_amount_minor")
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" uuid PRIMARY KEY NOT NULL,
	"purchase_id" uuid NOT NULL,
	"game_id" uuid NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"requested_minor" bigint,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"acquirer_refund_id" text,
	"idempotency_key" text NOT NULL,
	"fee_returned_minor" bigint,
	"requested_by" text NOT NULL,
	"failure_code" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"recovery_lease_until" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "refunds_amount_positive" CHECK ("refunds"."amount_minor" > 0),
	CONSTRAINT "refunds_fee_returned_bounded" CHECK ("refunds"."fee_returned_minor" is null or ("refunds"."fee_returned_minor" >= 0 and "refunds"."fee_returned_minor" <= "refunds"."amount_minor"))
);
--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_purchase_id_purchases_id_fk" FOREIGN KEY ("purchase_id") REFERENCES "public"."purchases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_game_id_games_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."games"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_purchase_id_purchases_id_fk" FOREIGN KEY ("purchase_id") REFERENCES "public"."purchases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_game_id_games_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."games"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "disputes_acquirer_dispute_uq" ON "disputes" USING btree ("acquirer_dispute_id");--> statement-breakpoint
CREATE INDEX "disputes_purchase_idx" ON "disputes" USING btree ("purchase_id");--> statement-breakpoint
CREATE INDEX "disputes_game_created_idx" ON "disputes" USING btree ("game_id","created_at","id");--> statement-breakpoint
CREATE INDEX "disputes_created_idx" ON "disputes" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "disputes_raised_idx" ON "disputes" USING btree ("raised_at");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_purchase_idempotency_uq" ON "refunds" USING btree ("purchase_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "refunds_purchase_idx" ON "refunds" USING btree ("purchase_id","created_at");--> statement-breakpoint
CREATE INDEX "refunds_game_created_idx" ON "refunds" USING btree ("game_id","created_at","id");--> statement-breakpoint
CREATE INDEX "refunds_created_idx" ON "refunds" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "refunds_pending_idx" ON "refunds" USING btree ("created_at") WHERE "refunds"."status" = 'pending';