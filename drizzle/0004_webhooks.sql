CREATE TABLE "game_webhook_secrets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"game_id" uuid NOT NULL,
	"secret_ciphertext" text NOT NULL,
	"secret_prefix" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "outbox_events" (
	"id" text PRIMARY KEY NOT NULL,
	"game_id" uuid NOT NULL,
	"type" text NOT NULL,
	"aggregate_id" text NOT NULL,
	"sequence" integer NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"lease_token" uuid,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "outbox_events_pending_has_due" CHECK ("outbox_events"."status" <> 'pending' or "outbox_events"."next_attempt_at" is not null)
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"game_id" uuid NOT NULL,
	"url" text NOT NULL,
	"status_code" integer,
	"duration_ms" integer NOT NULL,
	"success" boolean NOT NULL,
	"error" text,
	"response_excerpt" text,
	"trigger" text NOT NULL,
	"attempted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "game_webhook_secrets" ADD CONSTRAINT "game_webhook_secrets_game_id_games_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."games"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbox_events" ADD CONSTRAINT "outbox_events_game_id_games_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."games"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_outbox_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."outbox_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_game_id_games_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."games"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "game_webhook_secrets_game_idx" ON "game_webhook_secrets" USING btree ("game_id");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_events_aggregate_sequence_uq" ON "outbox_events" USING btree ("aggregate_id","sequence");--> statement-breakpoint
CREATE INDEX "outbox_events_due_idx" ON "outbox_events" USING btree ("next_attempt_at") WHERE "outbox_events"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_events_game_created_idx" ON "outbox_events" USING btree ("game_id","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_game_attempted_idx" ON "webhook_deliveries" USING btree ("game_id","attempted_at","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_attempted_idx" ON "webhook_deliveries" USING btree ("event_id","attempted_at","id");