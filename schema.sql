-- photorestore database schema: the single source.
--
-- Each "-- migration: N <title>" line starts migration N.  db_migrate()
-- applies those not yet recorded in schema_migrations, each in its own
-- IMMEDIATE transaction, in order.  Migrations only ever add: they never
-- drop or rewrite user data.  Times are ISO-8601 UTC text with a Z;
-- expiry times are unix seconds.

-- migration: 1 users, sessions, images
CREATE TABLE users (
	id			INTEGER PRIMARY KEY AUTOINCREMENT,
	username		TEXT NOT NULL UNIQUE COLLATE NOCASE
				CHECK (length(username) BETWEEN 1 AND 50),
	email			TEXT NOT NULL UNIQUE COLLATE NOCASE
				CHECK (length(email) BETWEEN 1 AND 255),
	hashed_password		TEXT NOT NULL,
	full_name		TEXT NOT NULL DEFAULT ''
				CHECK (length(full_name) <= 255),
	role			TEXT NOT NULL DEFAULT 'user'
				CHECK (role IN ('admin', 'user')),
	is_active		INTEGER NOT NULL DEFAULT 1
				CHECK (is_active IN (0, 1)),
	password_must_change	INTEGER NOT NULL DEFAULT 0
				CHECK (password_must_change IN (0, 1)),
	created_at		TEXT NOT NULL,
	last_login		TEXT
);

CREATE TABLE sessions (
	id			INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id			INTEGER NOT NULL
				REFERENCES users(id) ON DELETE CASCADE,
	session_id		TEXT NOT NULL UNIQUE
				CHECK (length(session_id) = 36),
	created_at		TEXT NOT NULL,
	last_accessed		TEXT NOT NULL,
	expires_at		INTEGER NOT NULL,
	user_agent		TEXT,
	ip_address		TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Images belong to a user; the session link is kept for history and
-- filtering (session_uuid survives the session's deletion).
CREATE TABLE processed_images (
	id			INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id			INTEGER NOT NULL
				REFERENCES users(id) ON DELETE CASCADE,
	session_id		INTEGER
				REFERENCES sessions(id) ON DELETE SET NULL,
	session_uuid		TEXT,
	original_filename	TEXT NOT NULL
				CHECK (length(original_filename) <= 255),
	model_id		TEXT NOT NULL CHECK (length(model_id) <= 100),
	original_path		TEXT NOT NULL CHECK (length(original_path) <= 500),
	processed_path		TEXT NOT NULL CHECK (length(processed_path) <= 500),
	model_parameters	TEXT,
	created_at		TEXT NOT NULL
);
CREATE INDEX processed_images_user ON processed_images(user_id, id);
CREATE INDEX processed_images_session ON processed_images(session_id);

-- migration: 2 login failures and upload slots
-- Failed logins per "username|ip" key, shared by every worker and host.
CREATE TABLE login_failures (
	id			INTEGER PRIMARY KEY AUTOINCREMENT,
	key			TEXT NOT NULL,
	ts			INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, ts);

-- Restorations in flight per session (API.md §4.2 concurrency limit).
CREATE TABLE upload_slots (
	id			INTEGER PRIMARY KEY AUTOINCREMENT,
	session_row		INTEGER NOT NULL,
	pid			INTEGER NOT NULL,
	expires_at		INTEGER NOT NULL
);
CREATE INDEX upload_slots_session ON upload_slots(session_row);

-- migration: 3 import map
-- Rows brought in by `photorestore import-fastapi` (lib/db_import.c):
-- (source, kind, source_id) -> our id, so that importing the same source
-- again skips what is already here, even rows deleted since.
CREATE TABLE import_map (
	source			TEXT NOT NULL,
	kind			TEXT NOT NULL CHECK (kind IN ('user', 'image')),
	source_id		INTEGER NOT NULL,
	target_id		INTEGER NOT NULL,
	UNIQUE (source, kind, source_id)
);

-- migration: 4 background jobs, result cache, daily usage
-- A batch restoration (POST /api/v1/jobs): run by `photorestore worker`,
-- which takes a job with a lease (lease_owner until lease_expires, unix
-- seconds), so that a killed worker's job is taken again once the lease
-- has run out.  parameters is the client's JSON text (kept with each
-- image, as the synchronous path does); params_canonical the model's
-- parameters merged with it, keys sorted: what runs, and the cache key.
CREATE TABLE jobs (
	id			INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id			INTEGER NOT NULL
				REFERENCES users(id) ON DELETE CASCADE,
	session_uuid		TEXT,
	model_id		TEXT NOT NULL CHECK (length(model_id) <= 100),
	parameters		TEXT,
	params_canonical	TEXT NOT NULL,
	status			TEXT NOT NULL DEFAULT 'queued'
				CHECK (status IN ('queued', 'running', 'done',
				'failed', 'cancelled')),
	total			INTEGER NOT NULL,
	done_count		INTEGER NOT NULL DEFAULT 0,
	created_at		TEXT NOT NULL,
	updated_at		TEXT NOT NULL,
	lease_owner		TEXT,
	lease_expires		INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_user ON jobs(user_id, id);
CREATE INDEX jobs_status ON jobs(status, lease_expires);

-- One file of a job.  upload_path is the server-made name of the stored
-- upload (relative to upload_dir); it becomes the image's original_path.
CREATE TABLE job_items (
	id			INTEGER PRIMARY KEY AUTOINCREMENT,
	job_id			INTEGER NOT NULL
				REFERENCES jobs(id) ON DELETE CASCADE,
	position		INTEGER NOT NULL,
	original_filename	TEXT NOT NULL
				CHECK (length(original_filename) <= 255),
	upload_path		TEXT CHECK (length(upload_path) <= 500),
	status			TEXT NOT NULL DEFAULT 'queued'
				CHECK (status IN ('queued', 'running', 'done',
				'failed', 'cancelled')),
	image_id		INTEGER
				REFERENCES processed_images(id) ON DELETE SET NULL,
	error_status		INTEGER,
	error_detail		TEXT,
	input_sha256		TEXT NOT NULL,
	UNIQUE (job_id, position)
);

-- Results by input: the same bytes (SHA-256 hex), model and canonical
-- parameters of the same user give the stored result again.  A row goes
-- with the image it points at.
CREATE TABLE result_cache (
	id			INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id			INTEGER NOT NULL
				REFERENCES users(id) ON DELETE CASCADE,
	input_sha256		TEXT NOT NULL,
	model_id		TEXT NOT NULL,
	params_canonical	TEXT NOT NULL,
	image_id		INTEGER NOT NULL
				REFERENCES processed_images(id) ON DELETE CASCADE,
	UNIQUE (user_id, input_sha256, model_id, params_canonical)
);
CREATE INDEX result_cache_image ON result_cache(image_id);

-- Images made per user and UTC day ("YYYY-MM-DD"), for
-- processing.max_images_per_day; deleting an image does not give it back.
CREATE TABLE image_usage (
	id			INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id			INTEGER NOT NULL
				REFERENCES users(id) ON DELETE CASCADE,
	day			TEXT NOT NULL,
	count			INTEGER NOT NULL DEFAULT 0,
	UNIQUE (user_id, day)
);
