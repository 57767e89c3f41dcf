-- What a job exports, as one typed, versioned value parsed once when the job is requested
-- (docs/architecture.md#job-spec). The worker reads it instead of rebuilding the request from
-- `tables`, `filters` and `options`, which stay as summary columns for listing and metrics.
ALTER TABLE export_jobs ADD COLUMN spec jsonb;

UPDATE export_jobs SET spec = CASE kind
  WHEN 'bulk' THEN jsonb_build_object(
    'v', 1, 'kind', 'bulk', 'tables', tables, 'filters', filters,
    'columns', coalesce(options->'columns', '{}'::jsonb),
    'format', format, 'compression', compression,
    'formulaGuard', coalesce(options->'formulaGuard', 'false'::jsonb),
    'consistency', coalesce(options->>'consistency', 'chunked'))
  WHEN 'user' THEN jsonb_build_object(
    'v', 1, 'kind', 'user', 'userId', options->>'userId', 'format', format, 'compression', compression,
    'formulaGuard', coalesce(options->'formulaGuard', 'true'::jsonb))
  ELSE jsonb_build_object(
    'v', 1, 'kind', 'scheduled', 'schedule', schedule_name, 'tables', tables,
    'format', format, 'compression', compression,
    'scheduledTime', coalesce(options->>'scheduledTime',
                              to_char(scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
END;

-- The request now lives in the spec; `options` keeps only the row's own bookkeeping (`run`).
UPDATE export_jobs SET options = options - 'columns' - 'formulaGuard' - 'consistency' - 'userId' - 'scheduledTime';

ALTER TABLE export_jobs ALTER COLUMN spec SET NOT NULL;
ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_spec_kind CHECK (spec->>'kind' = kind);
