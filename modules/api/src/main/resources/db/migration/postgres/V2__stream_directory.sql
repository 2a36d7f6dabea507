-- Read models fed by projections of the journal (see docs/architecture.md, Projections). The
-- embedded H2 journal runs this script as it is at every start: keep every statement IF NOT EXISTS.

-- Where each projection is in each tag of the journal: the journal's ordering column of the
-- last event it handled.
CREATE TABLE IF NOT EXISTS nrs_projection_offset (
  projection VARCHAR(255) NOT NULL,
  tag VARCHAR(255) NOT NULL,
  last_ordering BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (projection, tag)
);

-- One row per created stream, for listing without waking its entity. Times in epoch millis.
CREATE TABLE IF NOT EXISTS nrs_stream_directory (
  stream_id VARCHAR(64) NOT NULL PRIMARY KEY,
  creator_id VARCHAR(255) NOT NULL,
  creator_type VARCHAR(32) NOT NULL,
  title VARCHAR(1024),
  created_at BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  key_expires_at BIGINT,
  key_revoked BOOLEAN NOT NULL,
  session_id VARCHAR(64),
  session_started_at BIGINT,
  remote_address VARCHAR(255),
  ingest_node VARCHAR(255),
  graph_node VARCHAR(255),
  updated_at BIGINT NOT NULL,
  last_sequence_nr BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS nrs_stream_directory_status ON nrs_stream_directory (status);
