-- RET=HDRS as the sender asked it, apart from "no RET" (ret_full says only FULL or not): a
-- next hop that offers DSN (RFC 3461) is given RET exactly as it was received.
ALTER TABLE queue_messages ADD COLUMN ret_hdrs INTEGER NOT NULL DEFAULT 0;
