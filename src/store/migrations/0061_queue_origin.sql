-- The local domain an outbound queue entry is sent for (docs/outbound.md, "Queue access"):
-- the sender's domain, or for forwards and system mail (autoreplies, bounces to a forwarding
-- mailbox) the local domain whose address produced it. Recorded by id when the entry is made,
-- so a domain added later cannot claim old entries. 0: no local domain (platform admin only);
-- NULL: not recorded (entries older than this column: the sender's domain decides).
ALTER TABLE queue_messages ADD COLUMN origin_domain_id INTEGER;
