CREATE TABLE "purchases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"game_id" uuid NOT NULL,
	"player_id" uuid NOT NULL,
	"recipient_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_minor" bigint NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"fee_bps" integer NOT NULL,
	"fee_minor" bigint,
	"refunded_minor" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"path" text NOT NULL,
	"action_reason" text,
	"card_id" uuid,
	"charge_attempt" integer DEFAULT 1 NOT NULL,
	"attempt_with_cvc" boolean DEFAULT false NOT NULL,
	"acquirer_charge_id" text,
	"decline_code" text,
	"risk_decision" text,
	"risk_score" integer,
	"risk_rules" jsonb,
	"idempotency_key" text NOT NULL,
	"receipt" text,
	"expires_at" timestamp with time zone,
	"processing_at" timestamp with time zone,
	"recovery_lease_until" timestamp with time zone,
	"succeeded_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "purchases_quantity_positive" CHECK ("purchases"."quantity" > 0),
	CONSTRAINT "purchases_amount_positive" CHECK ("purchases"."amount_minor" > 0),
	CONSTRAINT "purchases_refund_bounded" CHECK ("purchases"."refunded_minor" >= 0 and "purchases"."refunded_minor" <= "purchases"."amount_minor")
);
--> statement-breakpoint
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_game_id_games_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."games"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_player_id_players_id_fk" FOREIGN KEY ("player_id") REFERENCES "public"."players"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_recipient_id_players_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."players"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "purchases_idempotency_uq" ON "purchases" USING btree ("game_id","player_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "purchases_game_created_idx" ON "purchases" USING btree ("game_id","created_at","id");--> statement-breakpoint
CREATE INDEX "purchases_player_game_created_idx" ON "purchases" USING btree ("player_id","game_id","created_at","id");--> statement-breakpoint
CREATE INDEX "purchases_recipient_game_created_idx" ON "purchases" USING btree ("recipient_id","game_id","created_at","id");--> statement-breakpoint
CREATE INDEX "purchases_processing_idx" ON "purchases" USING btree ("processing_at") WHERE "purchases"."status" = 'PROCESSING';--> statement-breakpoint
CREATE INDEX "purchases_awaiting_idx" ON "purchases" USING btree ("expires_at") WHERE "purchases"."status" in ('REQUIRES_CONFIRMATION', 'REQUIRES_ACTION');