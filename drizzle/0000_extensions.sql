-- Trigram indexes serve substring search on product names (products.name ILIKE '%...%').
CREATE EXTENSION IF NOT EXISTS pg_trgm;
