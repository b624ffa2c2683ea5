-- Judge0 callbacks not yet delivered. They live beside their submission, not in a webapp's memory, so a
-- restarted or replaced webapp still sends them; deleting the submission (retention, DELETE) drops them.
CREATE TABLE judge0_callbacks (
  submission_id uuid PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
  url text NOT NULL,
  -- Tries so far; the row is dropped after the last one fails.
  tries integer NOT NULL DEFAULT 0,
  -- Not tried before this: the backoff after a failed try, or the lease of the webapp sending it now.
  not_before timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX judge0_callbacks_due_idx ON judge0_callbacks (not_before);
