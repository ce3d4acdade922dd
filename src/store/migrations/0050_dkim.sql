-- DKIM keys, one per domain and algorithm (docs/outbound.md). The private key is a secret:
-- it is used to sign and never shown or logged.
CREATE TABLE dkim_keys (
  domain      TEXT NOT NULL,
  algorithm   TEXT NOT NULL CHECK (algorithm IN ('rsa-sha256','ed25519-sha256')),
  selector    TEXT NOT NULL,
  private_pem TEXT NOT NULL,
  public_b64  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (domain, algorithm)
);
