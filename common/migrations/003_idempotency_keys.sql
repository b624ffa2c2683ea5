-- A client (or the edge) may repeat a POST of a submission with the same Idempotency-Key and get the
-- first answer. The key is unique per API key (anonymous requests share one namespace), and the hash of
-- the request tells a repeat from a different submission that reuses the key.
ALTER TABLE submissions ADD COLUMN idempotency_key text, ADD COLUMN request_hash bytea;

CREATE UNIQUE INDEX submissions_idempotency_idx
  ON submissions ((COALESCE(api_key_id, '00000000-0000-0000-0000-000000000000'::uuid)), idempotency_key)
  WHERE idempotency_key IS NOT NULL;
