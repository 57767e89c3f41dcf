-- One row per export of any kind (user, bulk, scheduled). docs/architecture.md#service-tables.
CREATE TABLE export_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('user', 'bulk', 'scheduled')),
  tables jsonb NOT NULL,
  filters jsonb NOT NULL DEFAULT '{}',
  format text NOT NULL CHECK (format IN ('json', 'ndjson', 'csv', 'xml')),
  compression text NOT NULL DEFAULT 'none' CHECK (compression IN ('none', 'gzip')),
  options jsonb NOT NULL DEFAULT '{}',
  requested_by text NOT NULL,
  requester_email text,
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  lease_until timestamptz,
  lease_owner text,
  cancel_requested boolean NOT NULL DEFAULT false,
  rows_exported bigint NOT NULL DEFAULT 0 CHECK (rows_exported >= 0),
  bytes_written bigint NOT NULL DEFAULT 0 CHECK (bytes_written >= 0),
  progress jsonb NOT NULL DEFAULT '{}',
  -- object key, size, sha256, per-table rows
  result jsonb,
  error jsonb,
  schedule_name text,
  scheduled_for timestamptz,
  idempotency_key text,
  request_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  completed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A retried request with the same key returns the first job instead of creating another.
CREATE UNIQUE INDEX export_jobs_idempotency_key_uq
  ON export_jobs (requested_by, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- A schedule fires at most one job per slot even when EventBridge delivers twice.
CREATE UNIQUE INDEX export_jobs_schedule_slot_uq
  ON export_jobs (schedule_name, scheduled_for)
  WHERE kind = 'scheduled';

-- "My jobs", newest first, keyset-paginated.
CREATE INDEX export_jobs_requested_by_created_idx ON export_jobs (requested_by, created_at DESC, id DESC);
-- Admin views and lease sweeps by status.
CREATE INDEX export_jobs_status_created_idx ON export_jobs (status, created_at DESC);
-- All jobs, newest first, keyset-paginated.
CREATE INDEX export_jobs_created_idx ON export_jobs (created_at DESC, id DESC);
