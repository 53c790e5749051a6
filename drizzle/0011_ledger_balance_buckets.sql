CREATE TABLE "ledger_balance_buckets" (
	"account_id" uuid NOT NULL,
	"bucket" smallint NOT NULL,
	"balance_minor" bigint NOT NULL,
	CONSTRAINT "ledger_balance_buckets_pk" PRIMARY KEY("account_id","bucket"),
	CONSTRAINT "ledger_balance_buckets_bucket_range" CHECK ("ledger_balance_buckets"."bucket" >= 0 and "ledger_balance_buckets"."bucket" < 32)
);
--> statement-breakpoint
ALTER TABLE "ledger_balance_buckets" ADD CONSTRAINT "ledger_balance_buckets_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;