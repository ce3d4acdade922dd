-- A domain's spam policy (model::SpamPolicy as JSON, docs/antispam.md): DMARC enforcement and
-- the envelope senders it blocks. '{}' reads as the defaults.
ALTER TABLE domains ADD COLUMN spam_policy TEXT NOT NULL DEFAULT '{}';
