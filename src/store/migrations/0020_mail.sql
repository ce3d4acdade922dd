-- Message store (src/store/sqlite/mail_store.cc). mailbox_id is the directory's id; there is
-- deliberately no foreign key to directory tables (the mail store may live in another file).

-- One row per mailbox: quota limits and exact usage, changed in the same transaction as the
-- messages; the next UIDVALIDITY to hand out, so a recreated folder never reuses one.
CREATE TABLE mail_account (
  mailbox_id       INTEGER PRIMARY KEY,
  quota_bytes      INTEGER,
  quota_messages   INTEGER,
  used_bytes       INTEGER NOT NULL DEFAULT 0,
  used_messages    INTEGER NOT NULL DEFAULT 0,
  next_uidvalidity INTEGER NOT NULL
);

CREATE TABLE mail_folder (
  id            INTEGER PRIMARY KEY,
  mailbox_id    INTEGER NOT NULL REFERENCES mail_account(mailbox_id),
  name          TEXT NOT NULL,
  special_use   TEXT NOT NULL DEFAULT '',
  uidvalidity   INTEGER NOT NULL,
  uidnext       INTEGER NOT NULL DEFAULT 1,
  highestmodseq INTEGER NOT NULL DEFAULT 1,
  subscribed    INTEGER NOT NULL DEFAULT 1,
  -- STATUS counters, kept exact in the same transaction as the messages (check() verifies).
  messages      INTEGER NOT NULL DEFAULT 0,
  unseen        INTEGER NOT NULL DEFAULT 0,
  deleted       INTEGER NOT NULL DEFAULT 0,
  bytes         INTEGER NOT NULL DEFAULT 0,
  UNIQUE (mailbox_id, name)
);

-- A body, content-addressed, shared by every message that has these bytes. in_db = 1: bytes in
-- mail_blob_data; 0: file <data>/blobs/ab/cd/<sha256>. The parse results live here too: they
-- depend only on the bytes.
CREATE TABLE mail_blob (
  id            INTEGER PRIMARY KEY,
  sha256        TEXT NOT NULL UNIQUE,
  size          INTEGER NOT NULL,
  refcount      INTEGER NOT NULL,
  in_db         INTEGER NOT NULL,
  header_size   INTEGER NOT NULL,
  envelope      TEXT NOT NULL,
  bodystructure TEXT NOT NULL,
  body          TEXT NOT NULL,
  part_map      TEXT NOT NULL,
  subject       TEXT NOT NULL,
  base_subject  TEXT NOT NULL,
  from_text     TEXT NOT NULL,
  to_text       TEXT NOT NULL,
  cc_text       TEXT NOT NULL,
  bcc_text      TEXT NOT NULL,
  sort_from     TEXT NOT NULL,
  sort_to       TEXT NOT NULL,
  sort_cc       TEXT NOT NULL,
  message_id    TEXT NOT NULL,
  in_reply_to   TEXT NOT NULL,
  refs          TEXT NOT NULL,
  sent_date     INTEGER
);

-- Kept apart from mail_blob so metadata scans never page through message bytes.
CREATE TABLE mail_blob_data (
  blob_id INTEGER PRIMARY KEY REFERENCES mail_blob(id),
  data    BLOB NOT NULL
);

CREATE TABLE mail_message (
  folder_id    INTEGER NOT NULL REFERENCES mail_folder(id),
  uid          INTEGER NOT NULL,
  modseq       INTEGER NOT NULL,
  flags        INTEGER NOT NULL,
  keywords     TEXT NOT NULL DEFAULT '',
  internaldate INTEGER NOT NULL,
  size         INTEGER NOT NULL,
  blob_id      INTEGER NOT NULL REFERENCES mail_blob(id),
  PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
CREATE INDEX mail_message_modseq ON mail_message(folder_id, modseq);
CREATE INDEX mail_message_blob ON mail_message(blob_id);
-- First unseen message without scanning the seen ones (SELECT's [UNSEEN n]).
CREATE INDEX mail_message_unseen ON mail_message(folder_id, uid) WHERE (flags & 1) = 0;

-- Expunged UIDs with the modseq of their expunge (QRESYNC VANISHED).
CREATE TABLE mail_expunged (
  folder_id INTEGER NOT NULL REFERENCES mail_folder(id),
  uid       INTEGER NOT NULL,
  modseq    INTEGER NOT NULL,
  PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
CREATE INDEX mail_expunged_modseq ON mail_expunged(folder_id, modseq);
