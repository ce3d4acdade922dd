-- When each mailbox last auto-replied to each sender (RFC 3834: once per sender per period).
CREATE TABLE autoreply_log (
  mailbox_id INTEGER NOT NULL,
  sender     TEXT NOT NULL,
  sent_at    INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, sender)
) WITHOUT ROWID;
