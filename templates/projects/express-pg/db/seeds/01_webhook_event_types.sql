-- Idempotent: runs again whenever this file changes.
INSERT INTO webhook_event_types (name, description) VALUES
  ('api_key.created', 'an API key was created'),
  ('api_key.revoked', 'an API key was revoked'),
  ('request.throttled', 'a request was rejected by its rate limit'),
  ('webhook.failed', 'a webhook delivery failed after its last attempt')
ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description;
