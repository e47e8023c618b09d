-- A deleted review or picture names its product in the WAL (by default only its id would be
-- logged), so the response cache's change feed evicts the product's pages when one goes.
ALTER TABLE "reviews" REPLICA IDENTITY FULL;--> statement-breakpoint
ALTER TABLE "product_images" REPLICA IDENTITY FULL;
