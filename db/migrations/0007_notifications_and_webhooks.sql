-- Notifications at least once (docs/events-and-webhooks.md): when the outcome email and the outcome event of a
-- job went out. The sweeper resends what a crash left unsent.
ALTER TABLE export_jobs
  ADD COLUMN email_sent_at timestamptz,
  ADD COLUMN event_sent_at timestamptz;

-- Jobs that finished before this migration were notified the old way (at most once): never resend.
UPDATE export_jobs
SET email_sent_at = coalesce(completed_at, updated_at), event_sent_at = coalesce(completed_at, updated_at)
WHERE status IN ('completed', 'failed', 'cancelled');

-- The sweeper's resend pass: finished jobs with a notification still to send.
CREATE INDEX export_jobs_unnotified_idx ON export_jobs (updated_at)
  WHERE status IN ('completed', 'failed', 'cancelled') AND (event_sent_at IS NULL OR email_sent_at IS NULL);

-- Registered webhook endpoints (Standard Webhooks). The signing secret is stored sealed
-- (AES-256-GCM under the service's webhook key), never in clear and never returned after creation.
CREATE TABLE webhooks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url text NOT NULL CHECK (length(url) <= 2048),
  events jsonb NOT NULL,
  description text CHECK (length(description) <= 500),
  secret_sealed text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  disabled_reason text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One delivery of one event to one endpoint: a duplicate event (a resend) finds its delivery.
CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id text NOT NULL,
  event_type text NOT NULL,
  payload text NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'retrying', 'delivered', 'failed', 'gone', 'dropped')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_status_code integer,
  last_error text,
  next_attempt_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_webhook_created_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC);

-- Every attempt, as the delivery log shows it.
CREATE TABLE webhook_delivery_attempts (
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL CHECK (attempt >= 1),
  status_code integer,
  error text,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  attempted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (delivery_id, attempt, attempted_at)
);
