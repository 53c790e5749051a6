CREATE TABLE "cards" (
	"id" uuid PRIMARY KEY NOT NULL,
	"player_id" uuid NOT NULL,
	"acquirer_token" text NOT NULL,
	"brand" text NOT NULL,
	"last4" text NOT NULL,
	"exp_month" integer NOT NULL,
	"exp_year" integer NOT NULL,
	"holder_name" text NOT NULL,
	"fingerprint" text NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone,
	CONSTRAINT "cards_removed_not_default" CHECK (not ("cards"."is_default" and "cards"."removed_at" is not null)),
	CONSTRAINT "cards_last4_digits" CHECK ("cards"."last4" ~ '^[0-9]{4}$'),
	CONSTRAINT "cards_exp_month_range" CHECK ("cards"."exp_month" between 1 and 12)
);
--> statement-breakpoint
ALTER TABLE "cards" ADD CONSTRAINT "cards_player_id_players_id_fk" FOREIGN KEY ("player_id") REFERENCES "public"."players"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cards_player_fingerprint_uq" ON "cards" USING btree ("player_id","fingerprint") WHERE "cards"."removed_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "cards_player_default_uq" ON "cards" USING btree ("player_id") WHERE "cards"."is_default";--> statement-breakpoint
CREATE INDEX "cards_player_active_idx" ON "cards" USING btree ("player_id","created_at") WHERE "cards"."removed_at" is null;--> statement-breakpoint
CREATE INDEX "cards_fingerprint_idx" ON "cards" USING btree ("fingerprint");