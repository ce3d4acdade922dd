-- Full-text index of SEARCH SUBJECT/BODY/TEXT (src/store/sqlite/mail_store_search.cc): one row
-- per body blob (rowid = mail_blob.id): the decoded subject, the raw header and the decoded
-- text parts (mime/search_text.h). Trigram tokens let LIKE '%needle%' use the index; SQLite
-- still checks LIKE on the stored text, so answers equal a scan's. detail=none: the index
-- keeps which rows hold a trigram, not where (a fraction of the size); the re-check does the
-- rest. Filled at delivery, emptied with the blob, rebuilt at start when meta 'search_index'
-- is not 'v1' and by check --repair.
CREATE VIRTUAL TABLE mail_search USING fts5(subject, header, body, tokenize = 'trigram',
                                          detail = none);
