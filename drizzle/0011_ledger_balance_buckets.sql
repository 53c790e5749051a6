CREATE TABLE "ledger_balance_buckets" (
	"account_id" uuid NOT NULL,
	"bucket" smallint NOT NULL,
	"balance_minor" bigint NOT NULL,
	CONSTRAINT "ledger_balance_buckets_pk" PRIMARY KEY("account_id","bucket")
);
--> statement-breakpoint
ALTER TABLE "ledger_balance_buckets" ADD CONSTRAINT "ledger_balance_buckets_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Shared accounts move their running balance into bucket 0 (wallets keep theirs in the row).
INSERT INTO "ledger_balance_buckets" ("account_id", "bucket", "balance_minor")
  SELECT "id", 0, "balance_minor" FROM "ledger_accounts" WHERE "kind" <> 'player_wallet' AND "balance_minor" <> 0;--> statement-breakpoint
UPDATE "ledger_accounts" SET "balance_minor" = 0 WHERE "kind" <> 'player_wallet' AND "balance_minor" <> 0;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_shared_balance_in_buckets" CHECK ("ledger_accounts"."kind" = 'player_wallet' or "ledger_accounts"."balance_minor" = 0);