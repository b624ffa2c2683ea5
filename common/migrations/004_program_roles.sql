-- One role per program, each with only the privileges its code uses, so that a program taken over (an
-- executor above all: it runs untrusted code) cannot change the schema, read API keys, or run
-- `COPY ... PROGRAM` as a superuser would. Migrations run as the owner of the tables (the role that
-- applies them); the programs log in as these roles. Roles belong to the whole Postgres cluster, so
-- databases that share a cluster share them; the grants below are per database. The roles have no
-- password here: `prepare-database` sets one from a file when the server asks for passwords.
-- A later migration that adds a table grants on it in the same file.
DO $$
BEGIN
  CREATE ROLE remcode_webapp LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
  CREATE ROLE remcode_executor LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- Postgres before 15 lets every role create objects in the public schema; nobody but the owner may.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO remcode_webapp, remcode_executor;
DO $$
BEGIN
  -- Temporary tables are DDL too, and the programs never make any.
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO remcode_webapp, remcode_executor', current_database());
END $$;

-- Both read the applied migrations to wait for the owner to apply new ones.
GRANT SELECT ON schema_migrations TO remcode_webapp, remcode_executor;

-- The webapp: submissions, API keys and Judge0 callbacks, rows only.
GRANT SELECT, INSERT, UPDATE, DELETE ON submissions, api_keys, judge0_callbacks TO remcode_webapp;

-- The executor: read a submission, claim it and store its result (common/submissions-store.ts, `claim`,
-- `claimWithInput`, `exists`, `finish`). No INSERT or DELETE, no other table, and UPDATE of the
-- columns those statements set only.
GRANT SELECT ON submissions TO remcode_executor;
GRANT UPDATE (state, executor, attempts, started_at, verdict, result, finished_at) ON submissions TO remcode_executor;
