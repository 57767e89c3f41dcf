-- Sliding-window log for per-user export rate limits: the API counts a user's rows newer than the
-- window and inserts one per accepted request; old rows can be deleted at any time.
CREATE TABLE export_rate_limit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX export_rate_limit_events_user_created_idx ON export_rate_limit_events (user_id, created_at);
