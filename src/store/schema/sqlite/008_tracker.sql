-- deskmail schema version 8 (SQLite): the tracker (issue 20). An assignee
-- per issue ('' for none), labels per project and on issues, members who
-- asked for no mail, and the full-text search index.
ALTER TABLE issue ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
CREATE INDEX issue_assignee ON issue (assignee);
CREATE INDEX issue_created ON issue (created_at);
CREATE INDEX issue_updated ON issue (updated_at);
CREATE TABLE label (
  id INTEGER PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  colour TEXT NOT NULL DEFAULT '',
  UNIQUE (project_id, name_key)
);
CREATE TABLE issue_label (
  issue_id BIGINT NOT NULL REFERENCES issue(id),
  label_id BIGINT NOT NULL REFERENCES label(id) ON DELETE CASCADE,
  PRIMARY KEY (issue_id, label_id)
);
CREATE INDEX issue_label_label ON issue_label (label_id, issue_id);
ALTER TABLE project_member ADD COLUMN notify BIGINT NOT NULL DEFAULT 1;
-- One row per searchable text (an issue's title and description, a note's
-- body), folded by the store (store/search.h: no accents on Latin, Greek
-- and Cyrillic letters, case folded), with its CJK character pairs added so
-- that two-character words are found too. The trigram tokenizer answers
-- LIKE '%word%' through the index for three characters or more, and checks
-- each candidate; detail = none keeps no positions (no phrase queries are
-- made): a row costs a third of what it does with them. Filled for the
-- existing rows by the program after this script (schema.cc).
CREATE VIRTUAL TABLE search_text USING fts5(issue_id UNINDEXED, text, tokenize = 'trigram',
  detail = none);
