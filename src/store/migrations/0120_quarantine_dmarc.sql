-- The quarantine (store/quarantine_store.h, antispam/quarantine.h): mail held back from
-- mailboxes, its body stored once per hold, one entry per mailbox; and the mailboxes' last
-- quarantine notice.
CREATE TABLE quarantine_bodies (
  id INTEGER PRIMARY KEY,
  raw BLOB NOT NULL
);
CREATE TABLE quarantine_entries (
  id INTEGER PRIMARY KEY,
  body_id INTEGER NOT NULL REFERENCES quarantine_bodies(id),
  mailbox_id INTEGER NOT NULL,
  domain_id INTEGER NOT NULL,
  recipient TEXT NOT NULL,
  sender TEXT NOT NULL,
  from_field TEXT NOT NULL,
  subject TEXT NOT NULL,
  reason TEXT NOT NULL,
  score_centi INTEGER NOT NULL,   -- the spam score × 100
  size INTEGER NOT NULL,
  held_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  noticed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX quarantine_entries_mailbox ON quarantine_entries(mailbox_id, id);
CREATE INDEX quarantine_entries_domain ON quarantine_entries(domain_id, id);
CREATE INDEX quarantine_entries_expires ON quarantine_entries(expires_at);
CREATE INDEX quarantine_entries_body ON quarantine_entries(body_id);
CREATE INDEX quarantine_entries_pending ON quarantine_entries(noticed, mailbox_id);
-- A body goes with the last entry that uses it.
CREATE TRIGGER quarantine_body_release AFTER DELETE ON quarantine_entries
WHEN NOT EXISTS (SELECT 1 FROM quarantine_entries WHERE body_id = OLD.body_id)
BEGIN
  DELETE FROM quarantine_bodies WHERE id = OLD.body_id;
END;
CREATE TABLE quarantine_notices (
  mailbox_id INTEGER PRIMARY KEY,
  sent_at INTEGER NOT NULL
);

-- DMARC aggregate report data (store/dmarc_report_store.h): messages counted per day, author
-- domain and report row; the published policy of the day's latest count per domain.
CREATE TABLE dmarc_report_rows (
  day INTEGER NOT NULL,
  domain TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  envelope_from TEXT NOT NULL,
  disposition TEXT NOT NULL,
  dkim TEXT NOT NULL,
  spf TEXT NOT NULL,
  dkim_domains TEXT NOT NULL,
  spf_result TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (day, domain, source_ip, envelope_from, disposition, dkim, spf, dkim_domains,
               spf_result)
) WITHOUT ROWID;
CREATE TABLE dmarc_report_policies (
  day INTEGER NOT NULL,
  domain TEXT NOT NULL,
  policy_domain TEXT NOT NULL,
  rua TEXT NOT NULL,
  published TEXT NOT NULL,
  PRIMARY KEY (day, domain)
) WITHOUT ROWID;
