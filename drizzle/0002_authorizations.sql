CREATE TABLE "game_authorizations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"player_id" uuid NOT NULL,
	"game_id" uuid NOT NULL,
	"one_tap_max_minor" bigint NOT NULL,
	"daily_cap_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "game_authorizations_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "game_authorizations" ADD CONSTRAINT "game_authorizations_player_id_players_id_fk" FOREIGN KEY ("player_id") REFERENCES "public"."players"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "game_authorizations" ADD CONSTRAINT "game_authorizations_game_id_games_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."games"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "game_authorizations_active_uq" ON "game_authorizations" USING btree ("player_id","game_id") WHERE "game_authorizations"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "game_authorizations_game_idx" ON "game_authorizations" USING btree ("game_id");