-- migrate:up
-- One partition per month; the current month's is created here, later ones by a job, and a
-- default partition takes whatever falls outside them.
CREATE TABLE request_logs (
  id          bigserial,
  api_key_id  bigint REFERENCES api_keys (id) ON DELETE SET NULL,
  method      text NOT NULL,
  path        text NOT NULL,
  status      smallint NOT NULL,
  duration_ms integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX request_logs_key_time_idx ON request_logs (api_key_id, created_at DESC);

DO $$
DECLARE
  start_at date := date_trunc('month', now())::date;
  end_at   date := (date_trunc('month', now()) + interval '1 month')::date;
BEGIN
  EXECUTE format(
    'CREATE TABLE %I PARTITION OF request_logs FOR VALUES FROM (%L) TO (%L)',
    'request_logs_' || to_char(start_at, 'YYYY_MM'), start_at, end_at
  );
END $$;
-- Rows outside every monthly partition (next month, before a job has created its partition)
-- land here instead of failing the insert. Move them out before creating a partition that
-- covers them: Postgres refuses a new partition whose range has rows in the default one.
CREATE TABLE request_logs_default PARTITION OF request_logs DEFAULT;

-- migrate:down
DROP TABLE request_logs;
