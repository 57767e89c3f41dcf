-- Parquet joins the export formats (docs/formats.md). A Parquet file compresses its own pages,
-- so a Parquet job never carries gzip (the API refuses it; the table does too).
ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_format_check;
ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_format_check
  CHECK (format IN ('json', 'ndjson', 'csv', 'xml', 'parquet'));
ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_parquet_compression_check
  CHECK (format <> 'parquet' OR compression = 'none');
