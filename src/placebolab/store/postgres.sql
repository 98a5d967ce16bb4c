-- The study store on PostgreSQL: the same tables as schema.sql, in the schema "placebolab" of the
-- study's database, plus the functions through which experimenters allocate and log.
--
-- Rights, as REDCap separates them: the owner (the role that ran `placebolab init`) holds everything.
-- The experimenter role (EXPERIMENTER below, "<database>_experimenter") reads and writes what a
-- session needs, but has no right at all on the allocation list or the sealed seed: it allocates
-- only through placebolab.allocate(), a SECURITY DEFINER function that hands out exactly one slot,
-- and it logs only through placebolab.append_event(), which keeps the hash chain.
CREATE SCHEMA placebolab;
SET search_path = placebolab;

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (path TEXT PRIMARY KEY, content BYTEA NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE allocation (
    stratum      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    block        INTEGER,
    block_size   INTEGER,
    cell         TEXT,                   -- NULL until decided at allocation (minimization)
    participant  TEXT UNIQUE,
    allocated_at TEXT,
    u            DOUBLE PRECISION,                   -- minimization: the slot's random numbers
    v            DOUBLE PRECISION,
    decision     TEXT,                   -- minimization: JSON scores and candidates, replayed by the audit
    PRIMARY KEY (stratum, position)
);
CREATE INDEX free_slots ON allocation (stratum, position) WHERE participant IS NULL;
CREATE TABLE participants (
    id           TEXT PRIMARY KEY,
    cell         TEXT NOT NULL,
    stratum      TEXT NOT NULL,
    intake       TEXT NOT NULL,
    simulated    INTEGER NOT NULL DEFAULT 0,
    pilot        INTEGER NOT NULL DEFAULT 0,
    enrolled_at  TEXT NOT NULL,
    started_at   DOUBLE PRECISION,
    status       TEXT NOT NULL DEFAULT 'allocated',
    completed_at TEXT
);
CREATE TABLE steps (
    participant  TEXT NOT NULL REFERENCES participants(id),
    step_key     TEXT NOT NULL,
    step         TEXT NOT NULL,
    occasion     TEXT,
    shown_at     DOUBLE PRECISION NOT NULL,
    completed_at DOUBLE PRECISION NOT NULL,
    frontend     TEXT NOT NULL,
    detail       TEXT,
    PRIMARY KEY (participant, step_key)
);
CREATE TABLE responses (
    participant  TEXT NOT NULL REFERENCES participants(id),
    step_key     TEXT NOT NULL,
    item         TEXT NOT NULL DEFAULT '',
    value        DOUBLE PRECISION,
    rt           DOUBLE PRECISION,
    responded_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (participant, step_key, item),
    FOREIGN KEY (participant, step_key) REFERENCES steps(participant, step_key)
);
CREATE TABLE marks (
    participant TEXT NOT NULL REFERENCES participants(id),
    mark        TEXT NOT NULL,
    at          DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (participant, mark)
);
CREATE TABLE events (
    id          BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    participant TEXT,
    kind        TEXT NOT NULL,
    detail      TEXT,
    hash        TEXT NOT NULL
);
CREATE TABLE sealed (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- The same timestamp text as Python's now_iso(): 2026-11-25T20:00:00.123+00:00
CREATE FUNCTION now_iso() RETURNS TEXT LANGUAGE sql VOLATILE AS $$
    SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')
$$;

-- Append one entry to the hash chain. The lock makes ids dense and in commit order; the hash is
-- store/base.py's chain_hash: sha256(prev \n id \n at \n participant \n kind \n detail).
CREATE FUNCTION append_event(p_participant TEXT, p_kind TEXT, p_detail TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp AS $$
DECLARE
    prev TEXT;
    new_id BIGINT;
    at_ TEXT := now_iso();
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('placebolab.events'));
    SELECT id + 1, hash INTO new_id, prev FROM events ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        new_id := 1;
        prev := repeat('0', 64);
    END IF;
    INSERT INTO events VALUES (
        new_id, at_, p_participant, p_kind, p_detail,
        encode(sha256(convert_to(
            prev || E'\n' || new_id || E'\n' || at_ || E'\n' || coalesce(p_participant, '') || E'\n'
            || p_kind || E'\n' || coalesce(p_detail, ''), 'UTF8')), 'hex'));
END $$;

-- Hand the next free slot of a stratum to a participant; return the cell. One lock per stratum
-- serialises stations allocating in the same stratum, so slots go out in list order, none twice.
CREATE FUNCTION allocate(p_participant TEXT, p_stratum TEXT, p_intake TEXT, p_simulated BOOLEAN, p_pilot BOOLEAN)
RETURNS TEXT LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp AS $$
DECLARE
    slot RECORD;
    at_ TEXT := now_iso();
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('placebolab.allocation'), hashtext(p_stratum));
    IF EXISTS (SELECT 1 FROM participants WHERE id = p_participant) THEN
        RAISE EXCEPTION 'participant % already has an allocation; use another ID', p_participant
            USING ERRCODE = 'PL001';
    END IF;
    SELECT position, cell INTO slot FROM allocation
        WHERE stratum = p_stratum AND participant IS NULL ORDER BY position LIMIT 1;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM allocation WHERE stratum = p_stratum) THEN
            RAISE EXCEPTION 'stratum ''%'' is not in this study''s allocation list', p_stratum USING ERRCODE = 'PL002';
        END IF;
        RAISE EXCEPTION 'the allocation list for stratum % is used up; the study has reached its planned size',
            p_stratum USING ERRCODE = 'PL002';
    END IF;
    UPDATE allocation SET participant = p_participant, allocated_at = at_
        WHERE stratum = p_stratum AND position = slot.position;
    INSERT INTO participants (id, cell, stratum, intake, simulated, pilot, enrolled_at)
        VALUES (p_participant, slot.cell, p_stratum, p_intake, p_simulated::int, p_pilot::int, at_);
    PERFORM append_event(p_participant, 'allocated',
        json_build_object('stratum', p_stratum, 'position', slot.position)::text);
    RETURN slot.cell;
END $$;

-- Minimization: the station scored the cells under the list's lock (allocation/minimization.py); this
-- applies the next slot's concealed random numbers exactly as minimization.choose does, and records
-- the scores, which the audit replays.
CREATE FUNCTION allocate_minimized(p_participant TEXT, p_stratum TEXT, p_intake TEXT, p_simulated BOOLEAN,
    p_pilot BOOLEAN, p_preferred TEXT[], p_others TEXT[], p_probability DOUBLE PRECISION, p_decision TEXT)
RETURNS TEXT LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp AS $$
DECLARE
    slot RECORD;
    pool TEXT[];
    chosen TEXT;
    at_ TEXT := now_iso();
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('placebolab.allocation'), hashtext(''));
    IF EXISTS (SELECT 1 FROM participants WHERE id = p_participant) THEN
        RAISE EXCEPTION 'participant % already has an allocation; use another ID', p_participant
            USING ERRCODE = 'PL001';
    END IF;
    SELECT position, u, v INTO slot FROM allocation
        WHERE stratum = '' AND participant IS NULL ORDER BY position LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the allocation list is used up; the study has reached its planned size'
            USING ERRCODE = 'PL002';
    END IF;
    IF coalesce(cardinality(p_others), 0) = 0 OR slot.u < p_probability THEN
        pool := p_preferred;
    ELSE
        pool := p_others;
    END IF;
    chosen := pool[least(floor(slot.v * cardinality(pool))::INT, cardinality(pool) - 1) + 1];
    UPDATE allocation SET participant = p_participant, allocated_at = at_, cell = chosen, decision = p_decision
        WHERE stratum = '' AND position = slot.position;
    INSERT INTO participants (id, cell, stratum, intake, simulated, pilot, enrolled_at)
        VALUES (p_participant, chosen, p_stratum, p_intake, p_simulated::int, p_pilot::int, at_);
    PERFORM append_event(p_participant, 'allocated', json_build_object('stratum', '', 'position', slot.position)::text);
    RETURN chosen;
END $$;

-- Slots used and left: counts only.
CREATE FUNCTION allocation_summary(OUT allocated BIGINT, OUT slots BIGINT)
LANGUAGE sql SECURITY DEFINER SET search_path = placebolab, pg_temp AS $$
    SELECT COUNT(participant), COUNT(*) FROM allocation
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA placebolab FROM PUBLIC;
GRANT USAGE ON SCHEMA placebolab TO EXPERIMENTER;
GRANT SELECT ON meta, files, participants, steps, responses, marks, events TO EXPERIMENTER;
GRANT INSERT ON steps, responses, marks TO EXPERIMENTER;
GRANT UPDATE (started_at, status, completed_at) ON participants TO EXPERIMENTER;
GRANT EXECUTE ON FUNCTION now_iso(), append_event(TEXT, TEXT, TEXT),
    allocate(TEXT, TEXT, TEXT, BOOLEAN, BOOLEAN), allocation_summary(),
    allocate_minimized(TEXT, TEXT, TEXT, BOOLEAN, BOOLEAN, TEXT[], TEXT[], DOUBLE PRECISION, TEXT) TO EXPERIMENTER;
