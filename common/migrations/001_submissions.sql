-- Submissions and their results. The input is kept as JSON with byte fields in base64 so that one row
-- read gives the executor everything it needs; results are written once, when the state becomes finished.
CREATE TABLE submissions (
  id uuid PRIMARY KEY,
  state text NOT NULL CHECK (state IN ('queued', 'running', 'finished', 'cancelled')),
  language text NOT NULL,
  language_version text,
  encoding text NOT NULL CHECK (encoding IN ('utf8', 'base64')),
  input jsonb NOT NULL,
  limits jsonb NOT NULL,
  verdict text,
  result jsonb,
  executor text,
  attempts integer NOT NULL DEFAULT 0,
  api_key_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);

-- The sweep looks for rows still queued after a while; retention deletes finished rows by age.
CREATE INDEX submissions_queued_idx ON submissions (created_at) WHERE state = 'queued';
CREATE INDEX submissions_finished_idx ON submissions (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  -- sha256 of the key; the key itself is shown once, when it is created, and never stored.
  key_hash bytea NOT NULL UNIQUE,
  rate_per_minute integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
