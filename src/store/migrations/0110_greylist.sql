-- Greylisting (store/greylist_store.h, delivery/greylist.h): the triplets seen, and the client
-- networks and verified sender domains let through after a successful retry.
CREATE TABLE greylist_triplets (
  network TEXT NOT NULL,     -- "192.0.2.0/24", "2001:db8:1:2::/64"
  sender TEXT NOT NULL,      -- the envelope sender, lower case; "" for the null sender
  recipient TEXT NOT NULL,   -- lower case
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  tries INTEGER NOT NULL,    -- since first_seen
  PRIMARY KEY (network, sender, recipient)
) WITHOUT ROWID;
CREATE INDEX greylist_triplets_last_seen ON greylist_triplets(last_seen);
CREATE TABLE greylist_allowed (
  kind INTEGER NOT NULL,     -- store::GreylistAllow: 0 network + sender domain, 1 domain
  key TEXT NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
