-- migrate:up
CREATE TABLE webhook_event_types (
  name        text PRIMARY KEY,
  description text NOT NULL
);

CREATE TABLE webhooks (
  id          bigserial PRIMARY KEY,
  api_key_id  bigint NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  url         text NOT NULL CHECK (url ~ '^https?://'),
  secret      text NOT NULL,
  event_types text[] NOT NULL DEFAULT '{}',
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_key_idx ON webhooks (api_key_id);

-- migrate:down
DROP TABLE webhooks;
DROP TABLE webhook_event_types;
