-- migrate:up
CREATE TABLE rate_limits (
  api_key_id      bigint PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
  requests_per_min integer NOT NULL DEFAULT 600 CHECK (requests_per_min > 0),
  burst           integer NOT NULL DEFAULT 100 CHECK (burst > 0),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE rate_limits;
