-- The study store. One file per study; nothing here is ever updated in place except the
-- allocation slot a participant takes and a session's status.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Stimulus files as they were at init: the study runs on these, not on later edits.
CREATE TABLE IF NOT EXISTS files (
    path    TEXT PRIMARY KEY,
    content BLOB NOT NULL,
    sha256  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS allocation (
    stratum      TEXT NOT NULL,          -- '' when unstratified, else 'sex=female'
    position     INTEGER NOT NULL,       -- order within the stratum's list, from 1
    block        INTEGER,
    block_size   INTEGER,
    cell         TEXT,                   -- NULL until decided at allocation (minimization)
    participant  TEXT UNIQUE,            -- NULL until handed out; UNIQUE: never twice
    allocated_at TEXT,
    u            REAL,                   -- minimization: the slot's random numbers
    v            REAL,
    decision     TEXT,                   -- minimization: JSON scores and candidates, replayed by the audit
    PRIMARY KEY (stratum, position)
);
-- The next free slot of a stratum, found without scanning the slots already handed out.
CREATE INDEX IF NOT EXISTS free_slots ON allocation (stratum, position) WHERE participant IS NULL;
CREATE TABLE IF NOT EXISTS participants (
    id          TEXT PRIMARY KEY,
    cell        TEXT NOT NULL,
    stratum     TEXT NOT NULL,
    intake      TEXT NOT NULL,           -- JSON
    simulated   INTEGER NOT NULL DEFAULT 0,
    pilot       INTEGER NOT NULL DEFAULT 0,
    enrolled_at TEXT NOT NULL,
    started_at  REAL,                    -- epoch seconds of the first step shown: the 'start' mark
    status      TEXT NOT NULL DEFAULT 'allocated',   -- allocated | running | completed
    completed_at TEXT
);
-- One row per completed step occurrence; the session's position is the first occurrence not here.
-- Steps and responses are WITHOUT ROWID tables: a row lives in its key's B-tree, so a step's commit writes
-- one page for each table, not two (a table and its key's index), and waits less for the disk. Each row
-- carries the order it was recorded in instead (``event``, ``position``); a store made before holds rowid
-- tables without them, ordered by rowid (store/sqlite.py: ``_ROWID_ORDER``).
CREATE TABLE IF NOT EXISTS steps (
    participant  TEXT NOT NULL REFERENCES participants(id),
    step_key     TEXT NOT NULL,          -- step id, or 'itch_post@t0+3min' for a scheduled occasion
    step         TEXT NOT NULL,
    occasion     TEXT,
    shown_at     REAL NOT NULL,          -- epoch seconds
    completed_at REAL NOT NULL,
    frontend     TEXT NOT NULL,
    detail       TEXT,                   -- JSON: frame timing and other frontend facts
    event        INTEGER NOT NULL,       -- its step_recorded log entry (events.id): the order of recording
    PRIMARY KEY (participant, step_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS responses (
    participant  TEXT NOT NULL REFERENCES participants(id),
    step_key     TEXT NOT NULL,
    item         TEXT NOT NULL DEFAULT '',
    value        REAL,
    rt           REAL,                   -- seconds from onset to response
    responded_at REAL NOT NULL,
    position     INTEGER NOT NULL,       -- the answer's place in its step (0, 1, …: the order it asks its items)
    PRIMARY KEY (participant, step_key, item),
    FOREIGN KEY (participant, step_key) REFERENCES steps(participant, step_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS marks (
    participant TEXT NOT NULL REFERENCES participants(id),
    mark        TEXT NOT NULL,
    at          REAL NOT NULL,
    PRIMARY KEY (participant, mark)
);
-- The log: allocations, sessions, steps (with a digest of their answers), withdrawals and corrections.
-- Each entry's hash covers the one before it (store/base.py: chain_hash), so `placebolab audit` sees
-- an entry changed, removed or inserted. Nothing is ever deleted: corrections are new entries.
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY,     -- 1, 2, 3 … without gaps
    at          TEXT NOT NULL,
    participant TEXT,
    kind        TEXT NOT NULL,
    detail      TEXT,                    -- JSON, hashed as stored
    hash        TEXT NOT NULL
);
-- Corrections (withdrawn, excluded, allocated in error) by participant: a web link checks at every request
-- whether its participant withdrew (Store.latest_correction). Every log entry tests the condition: an IN of
-- three or more values would make SQLite build a temporary table at every insert (a study made before this
-- has that index; the query matches both: store/base.py _LATEST_CORRECTION).
CREATE INDEX IF NOT EXISTS corrections ON events (participant, id)
    WHERE kind IN ('withdrawn', 'excluded') OR kind = 'allocated_in_error';
-- A link's consent declined before enrolment (Store.link, consent_declined): asked at every request of a link
-- not enrolled yet, which scanned the whole log (the larger the study, the slower each participant's first pages).
-- A study made before gets it at its next opening for writing (sqlite.py, _ensure_schema).
CREATE INDEX IF NOT EXISTS declines ON events (participant) WHERE kind = 'declined_consent';
-- The seed of the list and the salt of its commitment (concealed from experimenters on PostgreSQL).
CREATE TABLE IF NOT EXISTS sealed (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Personal links of online sessions (`placebolab links`): only the SHA-256 of each token is kept, so the
-- store cannot hand a link out again; each link is one participant ID, enrolled on its first start.
CREATE TABLE IF NOT EXISTS links (
    token_sha256 TEXT PRIMARY KEY,
    participant  TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);
-- Answers given on a step not yet recorded (a questionnaire stopped mid-page), kept so that a resumed
-- session loses none: the step's commit holds them and removes them. Not data: no export reads them.
-- A study made before drafts gets this table at its first draft (CREATE … IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS drafts (
    participant  TEXT NOT NULL REFERENCES participants(id),
    step_key     TEXT NOT NULL,
    item         TEXT NOT NULL DEFAULT '',
    value        REAL,
    rt           REAL,                   -- seconds from the onset of the showing it was given in
    responded_at REAL NOT NULL,
    shown_at     REAL NOT NULL,          -- that showing's onset (epoch seconds)
    saved_at     TEXT NOT NULL,
    PRIMARY KEY (participant, step_key, item)
);
