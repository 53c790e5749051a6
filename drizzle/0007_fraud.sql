CREATE TABLE "blocked_card_fingerprints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lifted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "player_blocks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"player_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lifted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "risk_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"game_id" uuid,
	"player_id" uuid NOT NULL,
	"purchase_id" uuid,
	"kind" text NOT NULL,
	"decision" text NOT NULL,
	"score" integer NOT NULL,
	"rules_fired" jsonb NOT NULL,
	"card_fingerprint" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "risk_events_score_range" CHECK ("risk_events"."score" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "risk_settings" (
	"game_id" uuid PRIMARY KEY NOT NULL,
	"purchases_per_minute" integer,
	"purchases_per_hour" integer,
	"declines_to_block" integer,
	"decline_block_seconds" integer,
	"cards_step_up_at" integer,
	"players_per_card_block_at" integer,
	"cards_per_ip_block_at" integer,
	"cards_per_device_block_at" integer,
	"new_card_age_seconds" integer,
	"daily_amount_caps" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"new_card_step_up_amounts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "player_blocks" ADD CONSTRAINT "player_blocks_player_id_players_id_fk" FOREIGN KEY ("player_id") REFERENCES "public"."players"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_settings" ADD CONSTRAINT "risk_settings_game_id_games_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."games"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "blocked_card_fingerprints_active_uq" ON "blocked_card_fingerprints" USING btree ("fingerprint") WHERE "blocked_card_fingerprints"."lifted_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "player_blocks_active_uq" ON "player_blocks" USING btree ("player_id") WHERE "player_blocks"."lifted_at" is null;--> statement-breakpoint
CREATE INDEX "risk_events_created_idx" ON "risk_events" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "risk_events_game_created_idx" ON "risk_events" USING btree ("game_id","created_at","id");--> statement-breakpoint
CREATE INDEX "risk_events_player_created_idx" ON "risk_events" USING btree ("player_id","created_at","id");--> statement-breakpoint
CREATE INDEX "risk_events_purchase_idx" ON "risk_events" USING btree ("purchase_id");