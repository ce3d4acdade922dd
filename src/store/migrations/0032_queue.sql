-- The outbound queue: messages for external recipients (and forwards), kept durably until
-- delivered, bounced or expired. States of a recipient (docs/outbound.md):
--   queued → sending → delivered | deferred | bounced;  deferred → sending (retry) | expired.
CREATE TABLE queue_messages (
  id          INTEGER PRIMARY KEY,
  queue_id    TEXT NOT NULL UNIQUE,
  sender      TEXT NOT NULL,            -- '' = null sender
  envid       TEXT NOT NULL DEFAULT '',
  ret_full    INTEGER NOT NULL DEFAULT 0,
  smtputf8    INTEGER NOT NULL DEFAULT 0,
  eight_bit   INTEGER NOT NULL DEFAULT 0,
  body        BLOB NOT NULL,
  size        INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE TABLE queue_recipients (
  id              INTEGER PRIMARY KEY,
  message_id      INTEGER NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
  address         TEXT NOT NULL,
  domain          TEXT NOT NULL,
  notify          INTEGER NOT NULL DEFAULT 0,
  orcpt           TEXT NOT NULL DEFAULT '',
  state           TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued','sending','deferred','delivered','bounced','expired')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT NOT NULL DEFAULT '',
  updated_at      INTEGER NOT NULL
);
CREATE INDEX queue_recipients_due ON queue_recipients(state, next_attempt_at);
CREATE INDEX queue_recipients_message ON queue_recipients(message_id);
