-- migrate:up
CREATE TABLE webhook_deliveries (
  id            bigserial,
  webhook_id    bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id      bigint NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  attempt       smallint NOT NULL DEFAULT 1,
  status_code   smallint,
  error         text,
  delivered_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (created_at) WHERE delivered_at IS NULL;

DO $$
DECLARE
  start_at date := date_trunc('month', now())::date;
  end_at   date := (date_trunc('month', now()) + interval '1 month')::date;
BEGIN
  EXECUTE format(
    'CREATE TABLE %I PARTITION OF webhook_deliveries FOR VALUES FROM (%L) TO (%L)',
    'webhook_deliveries_' || to_char(start_at, 'YYYY_MM'), start_at, end_at
  );
END $$;
-- Rows outside every monthly partition (next month, before a job has created its partition)
-- land here instead of failing the insert. Move them out before creating a partition that
-- covers them: Postgres refuses a new partition whose range has rows in the default one.
CREATE TABLE webhook_deliveries_default PARTITION OF webhook_deliveries DEFAULT;

-- migrate:down
DROP TABLE webhook_deliveries;
