-- Web (cookie) sessions of the control panel. The session id is a secret: only its SHA-256 is
-- stored. subject_kind is 'principal' (admin, customer, manager, postmaster) or 'mailbox'.
CREATE TABLE web_sessions (
  id_hash      TEXT PRIMARY KEY,
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('principal', 'mailbox')),
  subject_id   INTEGER NOT NULL,
  csrf         TEXT NOT NULL,
  ip           TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
);
CREATE INDEX web_sessions_subject ON web_sessions(subject_kind, subject_id);
