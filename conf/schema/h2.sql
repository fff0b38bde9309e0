-- Parley schema for H2 (the embedded default), kept line for line beside postgres.sql: the Akka Persistence JDBC 5.2
-- journal and snapshot store, the Akka Projections offset store, and Parley's read side. Applied at every start
-- (parley.database.create-schema = on); every statement is idempotent.

CREATE TABLE IF NOT EXISTS event_journal (
  ordering BIGINT UNIQUE NOT NULL AUTO_INCREMENT,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BLOB NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BLOB,
  PRIMARY KEY (persistence_id, sequence_number)
);

CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal (ordering);

CREATE TABLE IF NOT EXISTS event_tag (
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY (event_id, tag),
  CONSTRAINT fk_event_journal FOREIGN KEY (event_id) REFERENCES event_journal (ordering) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BLOB NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BLOB,
  PRIMARY KEY (persistence_id, sequence_number)
);

CREATE TABLE IF NOT EXISTS akka_projection_offset_store (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  current_offset VARCHAR(255) NOT NULL,
  manifest VARCHAR(4) NOT NULL,
  mergeable BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);

CREATE INDEX IF NOT EXISTS projection_name_index ON akka_projection_offset_store (projection_name);

CREATE TABLE IF NOT EXISTS akka_projection_management (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  paused BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);

-- Read side, written only by the conversation projection. A posted message is one INSERT and nothing else: the
-- last message, unread counts and the sender's own read watermark are derived when a list is read, so a group of
-- any size costs the same to write to.
CREATE TABLE IF NOT EXISTS parley_conversation (
  conversation_id VARCHAR(64) PRIMARY KEY,
  kind VARCHAR(16) NOT NULL,
  title VARCHAR(800),
  created_by VARCHAR(128) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE IF NOT EXISTS parley_conversation_member (
  conversation_id VARCHAR(64) NOT NULL,
  user_id VARCHAR(128) NOT NULL,
  joined_at TIMESTAMP WITH TIME ZONE NOT NULL,
  delivered_up_to BIGINT NOT NULL DEFAULT 0,
  read_up_to BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user_id)
);

CREATE INDEX IF NOT EXISTS parley_member_user_idx ON parley_conversation_member (user_id);

CREATE TABLE IF NOT EXISTS parley_message (
  conversation_id VARCHAR(64) NOT NULL,
  seq BIGINT NOT NULL,
  message_id VARCHAR(64) NOT NULL,
  sender_id VARCHAR(128) NOT NULL,
  client_msg_id VARCHAR(128),
  content VARCHAR,
  metadata VARCHAR,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  edited_at TIMESTAMP WITH TIME ZONE,
  deleted_at TIMESTAMP WITH TIME ZONE,
  PRIMARY KEY (conversation_id, seq)
);

CREATE UNIQUE INDEX IF NOT EXISTS parley_message_id_idx ON parley_message (conversation_id, message_id);

-- A sender's newest message in a conversation: everything before it counts as read by them.
CREATE INDEX IF NOT EXISTS parley_message_sender_idx ON parley_message (conversation_id, sender_id, seq);

-- Deleted messages, so that unread counts can leave them out without scanning the history.
CREATE TABLE IF NOT EXISTS parley_message_tombstone (
  conversation_id VARCHAR(64) NOT NULL,
  seq BIGINT NOT NULL,
  sender_id VARCHAR(128) NOT NULL,
  PRIMARY KEY (conversation_id, seq)
);

-- Supabase webhooks and job matching. Jobs as last seen, for re-matching a changed candidate against recent jobs;
-- skills are the normalized index keys, comma-separated, and parley_job_skill indexes them. posted_at is when the job
-- last opened (inserted open, published from a draft, or reopened): recent jobs are those opened recently.
-- row_version is the row's own version (parley.webhook.columns.jobs.version, its updated_at) as last applied, null
-- when unknown, and row_deleted says the last event applied was a DELETE: an older INSERT or UPDATE is then ignored.
CREATE TABLE IF NOT EXISTS parley_job (
  job_id VARCHAR(200) PRIMARY KEY,
  title VARCHAR(1000),
  company VARCHAR(1000),
  skills VARCHAR NOT NULL,
  level VARCHAR(16),
  city VARCHAR(500),
  location_label VARCHAR(500),
  remote BOOLEAN NOT NULL,
  job_type VARCHAR(100),
  is_open BOOLEAN NOT NULL,
  posted_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  row_version TIMESTAMP WITH TIME ZONE,
  row_deleted BOOLEAN DEFAULT FALSE NOT NULL
);

-- Tables created before row versions get them in place; their rows start with none, as if stored in arrival order.
ALTER TABLE parley_job ADD COLUMN IF NOT EXISTS row_version TIMESTAMP WITH TIME ZONE;

ALTER TABLE parley_job ADD COLUMN IF NOT EXISTS row_deleted BOOLEAN DEFAULT FALSE NOT NULL;

CREATE INDEX IF NOT EXISTS parley_job_posted_idx ON parley_job (posted_at);

CREATE TABLE IF NOT EXISTS parley_job_skill (
  skill VARCHAR(200) NOT NULL,
  job_id VARCHAR(200) NOT NULL,
  PRIMARY KEY (skill, job_id)
);

CREATE INDEX IF NOT EXISTS parley_job_skill_job_idx ON parley_job_skill (job_id);

-- Every (job, candidate) match. The first webhook event to insert a pair claims it (claimed_by): only that event
-- notifies the candidate, again on replays until notified_at is set; a pair with notified_at is never notified again.
-- A claim older than parley.matching.claim-timeout with no notified_at is taken over (and matched_at set anew) by
-- the next event that finds the pair.
CREATE TABLE IF NOT EXISTS parley_job_match (
  job_id VARCHAR(200) NOT NULL,
  candidate_id VARCHAR(200) NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  reasons VARCHAR(1000) NOT NULL,
  matched_at TIMESTAMP WITH TIME ZONE NOT NULL,
  claimed_by VARCHAR(400) NOT NULL,
  notified_at TIMESTAMP WITH TIME ZONE,
  PRIMARY KEY (job_id, candidate_id)
);

CREATE INDEX IF NOT EXISTS parley_job_match_candidate_idx ON parley_job_match (candidate_id);

CREATE INDEX IF NOT EXISTS parley_job_match_claim_idx ON parley_job_match (claimed_by);

-- Durable counters of GET /api/jobs/notify/status: matched, notified, failed, stale.
CREATE TABLE IF NOT EXISTS parley_match_counter (
  name VARCHAR(32) PRIMARY KEY,
  counter_value BIGINT NOT NULL
);

MERGE INTO parley_match_counter c USING (VALUES ('matched'), ('notified'), ('failed'), ('stale')) AS v(name) ON c.name = v.name
  WHEN NOT MATCHED THEN INSERT (name, counter_value) VALUES (v.name, 0);

-- Every user's push tokens, projected from the users' device events, so that a push to many users reads their
-- tokens at once instead of starting each user's entity (io.parley.user.DeviceDirectory).
CREATE TABLE IF NOT EXISTS parley_user_device (
  user_id VARCHAR(128) NOT NULL,
  token VARCHAR(4096) NOT NULL,
  PRIMARY KEY (user_id, token)
);
