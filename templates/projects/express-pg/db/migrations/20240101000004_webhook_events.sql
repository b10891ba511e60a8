-- migrate:up
CREATE TABLE webhook_events (
  id          bigserial PRIMARY KEY,
  event_type  text NOT NULL REFERENCES webhook_event_types (name),
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_type_time_idx ON webhook_events (event_type, created_at DESC);

-- migrate:down
DROP TABLE webhook_events;
