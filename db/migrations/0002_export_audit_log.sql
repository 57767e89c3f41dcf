-- Append-only trail: one row per request, denial, rate-limit refusal, start, completion, failure,
-- cancellation and download. docs/architecture.md#service-tables.
CREATE TABLE export_audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id text,
  export_type text,
  action text NOT NULL,
  status text NOT NULL,
  -- No foreign key: audit rows must outlive the jobs they mention and record requests that never became jobs.
  job_id uuid,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX export_audit_log_created_idx ON export_audit_log (created_at);
CREATE INDEX export_audit_log_user_created_idx ON export_audit_log (user_id, created_at);
CREATE INDEX export_audit_log_job_idx ON export_audit_log (job_id);
