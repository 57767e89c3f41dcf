-- Chunks of a large export (docs/chunked-exports.md): one row per primary-key range of a table, each run by
-- its own worker invocation with its own lease, retries and progress, and resumable across
-- invocations from its checkpoint (the open multipart upload, its parts and the last key written).
CREATE TABLE export_chunks (
  job_id uuid NOT NULL REFERENCES export_jobs (id) ON DELETE CASCADE,
  -- 1-based position in the job's plan; the queue message names it.
  ordinal integer NOT NULL CHECK (ordinal >= 1),
  table_name text NOT NULL,
  -- File number within its table: `{table}/part-00001.csv`.
  part integer NOT NULL CHECK (part >= 1),
  -- Primary-key range (key_from, key_to] as text; key_from NULL is "from the first key",
  -- key_to is at most the table's maximum key when the job was planned.
  key_from text,
  key_to text,
  rows_estimate bigint NOT NULL DEFAULT 0 CHECK (rows_estimate >= 0),
  planned_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- Invocations that worked on it (a resumed chunk has several).
  invocations integer NOT NULL DEFAULT 0 CHECK (invocations >= 0),
  lease_owner text,
  lease_until timestamptz,
  rows_exported bigint NOT NULL DEFAULT 0 CHECK (rows_exported >= 0),
  bytes_written bigint NOT NULL DEFAULT 0 CHECK (bytes_written >= 0),
  -- upload id, parts with their ETags, last key written, rows, bytes, hash state
  checkpoint jsonb,
  -- the finished file (name, key, rows, bytes, sha256, etag, key range)
  result jsonb,
  error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, ordinal),
  UNIQUE (job_id, table_name, part)
);

-- Alarms and sweeps look for chunks stuck in a status.
CREATE INDEX export_chunks_status_updated_idx ON export_chunks (status, updated_at);
