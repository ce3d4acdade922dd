-- Delay warnings (RFC 3464 "Action: delayed"): set once a recipient's sender has been told that
-- delivery is late, before the warning is handed on, so a restart never sends a second one.
ALTER TABLE queue_recipients ADD COLUMN delay_warned INTEGER NOT NULL DEFAULT 0;
