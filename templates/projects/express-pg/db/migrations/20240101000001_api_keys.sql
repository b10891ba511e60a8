-- migrate:up
CREATE TABLE api_keys (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL,
  key_prefix  text NOT NULL,
  key_hash    text NOT NULL UNIQUE,
  scopes      text[] NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX api_keys_prefix_idx ON api_keys (key_prefix);
CREATE INDEX api_keys_active_idx ON api_keys (id) WHERE revoked_at IS NULL;

-- migrate:down
DROP TABLE api_keys;
