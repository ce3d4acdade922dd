-- Directory: customers, principals (admin, customer, manager, postmaster logins), domains,
-- mailboxes, aliases, templates, delegations, API tokens, audit. See src/directory/README.md.
-- Limits: NULL means "no limit at this level" (the levels above still apply).
-- Times are Unix seconds (UTC).

CREATE TABLE customers (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  name              TEXT NOT NULL UNIQUE,
  status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  max_domains       INTEGER,
  max_mailboxes     INTEGER,
  max_mailbox_bytes INTEGER,
  max_total_bytes   INTEGER,
  branding          TEXT NOT NULL DEFAULT '{}',  -- JSON: white-label settings
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);

-- Logins that are not mailboxes: the platform admin, customers, managers, postmasters.
CREATE TABLE principals (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  kind              TEXT NOT NULL CHECK (kind IN ('admin', 'customer', 'manager', 'postmaster')),
  login             TEXT NOT NULL UNIQUE,
  display_name      TEXT NOT NULL DEFAULT '',
  password_hash     TEXT NOT NULL DEFAULT '!',
  customer_id       INTEGER REFERENCES customers(id) ON DELETE CASCADE,
  domain_id         INTEGER REFERENCES domains(id) ON DELETE CASCADE,  -- postmaster
  manager_kind      TEXT CHECK (manager_kind IN ('scoped', 'full')),
  status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  max_domains       INTEGER,  -- manager limits
  max_mailboxes     INTEGER,
  max_mailbox_bytes INTEGER,
  max_total_bytes   INTEGER,
  branding          TEXT NOT NULL DEFAULT '{}',
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX principals_customer ON principals(customer_id);

CREATE TABLE domains (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  name              TEXT NOT NULL UNIQUE,  -- IDNA A-label form, lower case
  customer_id       INTEGER NOT NULL REFERENCES customers(id),
  status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
  deleted_at        INTEGER,
  max_mailboxes     INTEGER,
  max_mailbox_bytes INTEGER,
  max_total_bytes   INTEGER,
  catchall          TEXT,  -- address receiving mail for unknown local parts
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX domains_customer ON domains(customer_id);

-- A manager's domains: its scope (scoped) or the domains assigned to it (full; limits count them).
CREATE TABLE manager_domains (
  manager_id INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
  domain_id  INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  PRIMARY KEY (manager_id, domain_id)
);
CREATE INDEX manager_domains_domain ON manager_domains(domain_id);

CREATE TABLE domain_aliases (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL UNIQUE,
  domain_id  INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
);

CREATE TABLE templates (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id     INTEGER REFERENCES customers(id) ON DELETE CASCADE,  -- NULL: platform-wide
  name            TEXT NOT NULL,
  current_version INTEGER NOT NULL DEFAULT 1,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX templates_name ON templates(IFNULL(customer_id, 0), name);

CREATE TABLE template_versions (
  template_id INTEGER NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  settings    TEXT NOT NULL,  -- JSON: directory::TemplateSettings
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (template_id, version)
);

-- Mailbox ids are the key the message store uses for mail: never reused (AUTOINCREMENT).
CREATE TABLE mailboxes (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  address             TEXT NOT NULL UNIQUE,  -- reserved while deleted, freed by purge
  domain_id           INTEGER NOT NULL REFERENCES domains(id),
  display_name        TEXT NOT NULL DEFAULT '',
  password_hash       TEXT NOT NULL DEFAULT '!',
  quota_bytes         INTEGER NOT NULL,
  services            TEXT NOT NULL,  -- JSON: directory::Services
  settings            TEXT NOT NULL DEFAULT '{}',  -- JSON: folders, language, autoresponder
  status              TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'disabled', 'deleted')),
  deleted_at          INTEGER,
  deleted_with_domain INTEGER NOT NULL DEFAULT 0,
  template_id         INTEGER,
  template_version    INTEGER,
  forward_to          TEXT NOT NULL DEFAULT '[]',  -- JSON array of addresses
  forward_keep_copy   INTEGER NOT NULL DEFAULT 1,
  last_login_at       INTEGER,
  last_login_protocol TEXT,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);
CREATE INDEX mailboxes_domain ON mailboxes(domain_id);

CREATE TABLE aliases (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  address    TEXT NOT NULL UNIQUE,
  domain_id  INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  targets    TEXT NOT NULL,  -- JSON array of addresses (local or external)
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX aliases_domain ON aliases(domain_id);

-- grantee is exactly one of a principal or a mailbox user.
CREATE TABLE delegations (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id          INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  grantor_principal_id INTEGER,
  grantee_principal_id INTEGER REFERENCES principals(id) ON DELETE CASCADE,
  grantee_mailbox_id   INTEGER REFERENCES mailboxes(id) ON DELETE CASCADE,
  verbs                TEXT NOT NULL,  -- JSON array of verb names
  domain_ids           TEXT NOT NULL,  -- JSON array
  template_ids         TEXT NOT NULL,  -- JSON array
  expires_at           INTEGER,
  created_at           INTEGER NOT NULL,
  CHECK ((grantee_principal_id IS NULL) <> (grantee_mailbox_id IS NULL))
);
CREATE INDEX delegations_grantee_p ON delegations(grantee_principal_id);
CREATE INDEX delegations_grantee_m ON delegations(grantee_mailbox_id);

-- API tokens (the API issue fills in their use): secret stored hashed only.
CREATE TABLE api_tokens (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_principal_id INTEGER REFERENCES principals(id) ON DELETE CASCADE,
  owner_mailbox_id   INTEGER REFERENCES mailboxes(id) ON DELETE CASCADE,
  name               TEXT NOT NULL DEFAULT '',
  secret_hash        TEXT NOT NULL UNIQUE,
  scope              TEXT NOT NULL DEFAULT '{}',  -- JSON: directory::TokenScope
  expires_at         INTEGER,
  last_used_at       INTEGER,
  created_at         INTEGER NOT NULL,
  CHECK ((owner_principal_id IS NULL) <> (owner_mailbox_id IS NULL))
);

-- Append-only: nothing in the code updates or deletes rows here (a trigger enforces it).
CREATE TABLE audit (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,  -- login of the acting principal, or "system"
  actor_kind  TEXT NOT NULL,
  token_id    INTEGER,
  source      TEXT NOT NULL,  -- "cli", "api", "system"
  ip          TEXT,
  verb        TEXT NOT NULL,
  target      TEXT NOT NULL,  -- human name of the target ("mailbox:bob@example.com")
  customer_id INTEGER,  -- scope columns for "each actor sees its own scope"
  domain_id   INTEGER,
  mailbox_id  INTEGER,
  before      TEXT,  -- JSON of changed fields, secrets redacted
  after       TEXT
);
CREATE INDEX audit_customer ON audit(customer_id, id);
CREATE INDEX audit_domain ON audit(domain_id, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
