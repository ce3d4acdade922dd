-- SAVEDATE (RFC 8514): when a message was saved in its folder (APPEND, delivery, COPY, MOVE),
-- as opposed to its INTERNALDATE, which APPEND may set. Rows from before this migration have
-- none and read as their internaldate.
ALTER TABLE mail_message ADD COLUMN savedate INTEGER;
