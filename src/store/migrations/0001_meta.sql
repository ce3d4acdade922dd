-- Server-wide key/value settings (e.g. the instance id).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
