-- migrate:up
CREATE TABLE audit_logs (
  id          bigserial PRIMARY KEY,
  api_key_id  bigint REFERENCES api_keys (id) ON DELETE SET NULL,
  action      text NOT NULL,
  target      text,
  details     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_key_time_idx ON audit_logs (api_key_id, created_at DESC);
CREATE INDEX audit_logs_action_idx ON audit_logs (action);

-- migrate:down
DROP TABLE audit_logs;
