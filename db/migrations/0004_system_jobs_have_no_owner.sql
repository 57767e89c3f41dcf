-- Jobs the system creates (the scheduler's runs) belong to no user. They were stored with
-- requested_by = 'scheduler', in the same namespace as login subjects, so a token whose `sub` was
-- 'scheduler' owned them. NULL is an owner no token can claim; only admins see such jobs.
ALTER TABLE export_jobs ALTER COLUMN requested_by DROP NOT NULL;
UPDATE export_jobs SET requested_by = NULL WHERE kind = 'scheduled' AND requested_by = 'scheduler';
ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_owner_ck CHECK (requested_by IS NOT NULL OR kind = 'scheduled');
