DROP INDEX "orders_idempotency_key_key";--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "idempotency_caller" text;--> statement-breakpoint
CREATE UNIQUE INDEX "orders_idempotency_caller_key_key" ON "orders" USING btree ("idempotency_caller","idempotency_key");