-- Platform limits: the caps over the whole server (DESIGN.md section 3, "limits nest"), set by
-- the platform admin (API PUT /api/v1/platform/limits, CLI `posthouse platform limits`).
-- Exactly one row; NULL means unlimited.
CREATE TABLE platform_limits (
  id                INTEGER PRIMARY KEY CHECK (id = 1),
  max_domains       INTEGER,
  max_mailboxes     INTEGER,
  max_mailbox_bytes INTEGER,
  max_total_bytes   INTEGER,
  updated_at        INTEGER NOT NULL
);
INSERT INTO platform_limits (id, updated_at) VALUES (1, 0);
