-- API tokens: what the token list shows and what revocation needs. The secret itself is never
-- stored (secret_hash is its SHA-256); `prefix` is its first characters, for recognising it.
ALTER TABLE api_tokens ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN last_used_ip TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER;
CREATE INDEX api_tokens_owner ON api_tokens(owner_principal_id, owner_mailbox_id);
