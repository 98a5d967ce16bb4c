-- The study store on PostgreSQL: the same tables as schema.sql, in the schema "placebolab" of the
-- study's database, plus the functions through which stations allocate, run sessions and log.
--
-- Rights, as REDCap separates them: the owner (the role that ran `placebolab init`) holds everything
-- and alone appends withdrawals, corrections and unblinding (append_event). The experimenter role
-- (EXPERIMENTER below, "<database>_experimenter") may read what a station shows and exports, but
-- writes nothing directly and has no right at all on the allocation list or the sealed seed. It acts
-- only through the station functions below (SECURITY DEFINER, search_path fixed), which check their
-- input (JSON shapes, step keys of the participant's cell, the state a participant is in), compute the
-- digests sealed in the log themselves, and log exactly the entries a station makes. Every function
-- waits at most 5 s for the log's lock (lock_timeout) and then fails with SQLSTATE 55P03, which the
-- store reports as "the study's log is locked by another station".
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
-- Corrections by participant: a web link checks at every request whether its participant withdrew.
CREATE INDEX corrections ON events (participant, id) WHERE kind IN ('withdrawn', 'excluded', 'allocated_in_error');
CREATE TABLE sealed (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Personal links of online sessions: only each token's SHA-256 (store/base.py, LINKS_TABLE).
CREATE TABLE links (token_sha256 TEXT PRIMARY KEY, participant TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);

-- The same timestamp text as Python's now_iso(): 2026-11-25T20:00:00.123+00:00
CREATE FUNCTION now_iso() RETURNS TEXT LANGUAGE sql VOLATILE AS $$
    SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')
$$;

-- store/base.py's participant_digest: what decides whether and how a participant is analysed.
CREATE FUNCTION participant_digest(p_id TEXT, p_stratum TEXT, p_cell TEXT, p_intake TEXT, p_simulated INT,
    p_pilot INT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(p_id || E'\n' || p_stratum || E'\n' || p_cell || E'\n' || p_intake || E'\n'
        || p_simulated || E'\n' || p_pilot, 'UTF8')), 'hex')
$$;

-- Append one entry to the hash chain: the owner's entries directly, the stations' through the functions
-- below. The table lock makes ids dense and in commit order; only these functions can take it (the
-- experimenter may only read events, which does not conflict). The hash is store/base.py's chain_hash:
-- sha256(prev \n id \n at \n participant \n kind \n detail).
CREATE FUNCTION append_event(p_participant TEXT, p_kind TEXT, p_detail TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
    prev TEXT;
    new_id BIGINT;
    at_ TEXT;
BEGIN
    IF p_detail IS NOT NULL THEN
        PERFORM parse_json_object(p_detail, 'the log entry''s detail');
    END IF;
    LOCK TABLE events IN EXCLUSIVE MODE;
    at_ := now_iso();
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

-- p_text parsed as a JSON object, or a refusal (SQLSTATE PL003) naming what it was for.
CREATE FUNCTION parse_json_object(p_text TEXT, p_what TEXT) RETURNS JSONB
LANGUAGE plpgsql IMMUTABLE SET search_path = placebolab, pg_temp AS $$
DECLARE
    parsed JSONB;
BEGIN
    BEGIN
        parsed := p_text::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION '% is not valid JSON: %', p_what, left(p_text, 80) USING ERRCODE = 'PL003';
    END;
    IF parsed IS NULL OR jsonb_typeof(parsed) <> 'object' THEN
        RAISE EXCEPTION '% must be a JSON object, not %', p_what, left(coalesce(p_text, 'NULL'), 80)
            USING ERRCODE = 'PL003';
    END IF;
    RETURN parsed;
END $$;

-- An intake a station may store: a JSON object of plain values, and a participant ID without spaces.
CREATE FUNCTION check_enrolment(p_participant TEXT, p_intake TEXT) RETURNS JSONB
LANGUAGE plpgsql IMMUTABLE SET search_path = placebolab, pg_temp AS $$
DECLARE
    intake JSONB := parse_json_object(p_intake, 'the intake');
BEGIN
    IF p_participant IS NULL OR p_participant !~ '^[[:graph:]]{1,100}$' THEN
        RAISE EXCEPTION '% is not a participant ID; use letters, digits, - or _, e.g. P001', p_participant
            USING ERRCODE = 'PL003';
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_each(intake) WHERE jsonb_typeof(value) IN ('object', 'array')) THEN
        RAISE EXCEPTION 'the intake must map each field to one value: %', left(p_intake, 80) USING ERRCODE = 'PL003';
    END IF;
    RETURN intake;
END $$;

-- Enrol: take the participant's slot, store them, log the allocation with the sealed digest.
CREATE FUNCTION enrol_into(p_participant TEXT, p_stratum TEXT, p_intake TEXT, p_simulated BOOLEAN,
    p_pilot BOOLEAN, p_slot_stratum TEXT, p_position INT, p_cell TEXT, p_decision TEXT) RETURNS TEXT
LANGUAGE plpgsql SET search_path = placebolab, pg_temp AS $$
DECLARE
    at_ TEXT := now_iso();
BEGIN
    UPDATE allocation SET participant = p_participant, allocated_at = at_, cell = p_cell, decision = p_decision
        WHERE stratum = p_slot_stratum AND position = p_position;
    INSERT INTO participants (id, cell, stratum, intake, simulated, pilot, enrolled_at)
        VALUES (p_participant, p_cell, p_stratum, p_intake, p_simulated::int, p_pilot::int, at_);
    PERFORM append_event(p_participant, 'allocated', json_build_object('stratum', p_slot_stratum,
        'position', p_position, 'participant_sha256',
        participant_digest(p_participant, p_stratum, p_cell, p_intake, p_simulated::int, p_pilot::int))::text);
    RETURN p_cell;
END $$;

-- The next free slot of a stratum's list, under the list's lock (which only these functions can take).
CREATE FUNCTION next_slot(p_participant TEXT, p_stratum TEXT, OUT slot_position INT, OUT slot_cell TEXT,
    OUT slot_u DOUBLE PRECISION, OUT slot_v DOUBLE PRECISION)
LANGUAGE plpgsql SET search_path = placebolab, pg_temp AS $$
BEGIN
    LOCK TABLE allocation IN EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM participants WHERE id = p_participant) THEN
        RAISE EXCEPTION 'participant % already has an allocation; use another ID', p_participant
            USING ERRCODE = 'PL001';
    END IF;
    SELECT position, cell, u, v INTO slot_position, slot_cell, slot_u, slot_v FROM allocation
        WHERE stratum = p_stratum AND participant IS NULL ORDER BY position LIMIT 1;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM allocation WHERE stratum = p_stratum) THEN
            RAISE EXCEPTION 'stratum ''%'' is not in this study''s allocation list', p_stratum USING ERRCODE = 'PL002';
        END IF;
        RAISE EXCEPTION 'the allocation list% is used up; the study has reached its planned size',
            CASE WHEN p_stratum = '' THEN '' ELSE ' for stratum ' || p_stratum END USING ERRCODE = 'PL002';
    END IF;
END $$;

-- Hand the next free slot of a stratum to a participant; return the cell.
CREATE FUNCTION allocate(p_participant TEXT, p_stratum TEXT, p_intake TEXT, p_simulated BOOLEAN, p_pilot BOOLEAN)
RETURNS TEXT LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
    slot RECORD;
BEGIN
    PERFORM check_enrolment(p_participant, p_intake);
    IF EXISTS (SELECT 1 FROM meta WHERE key = 'minimization') THEN
        RAISE EXCEPTION 'this study allocates by minimization (allocate_minimized)' USING ERRCODE = 'PL003';
    END IF;
    SELECT * INTO slot FROM next_slot(p_participant, p_stratum);
    RETURN enrol_into(p_participant, p_stratum, p_intake, p_simulated, p_pilot, p_stratum, slot.slot_position,
        slot.slot_cell, NULL);
END $$;

-- The spread of standardized counts, as allocation/minimization.py's _spread (same order of sums).
CREATE FUNCTION spread(vals DOUBLE PRECISION[], measure TEXT) RETURNS DOUBLE PRECISION
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    total DOUBLE PRECISION := 0;
    mean DOUBLE PRECISION;
    x DOUBLE PRECISION;
BEGIN
    IF measure = 'range' THEN
        RETURN (SELECT max(y) FROM unnest(vals) y) - (SELECT min(y) FROM unnest(vals) y);
    END IF;
    FOREACH x IN ARRAY vals LOOP total := total + x; END LOOP;
    mean := total / cardinality(vals);
    total := 0;
    FOREACH x IN ARRAY vals LOOP total := total + (x - mean) ^ 2; END LOOP;
    RETURN total / (cardinality(vals) - 1);
END $$;

-- Minimization (allocation/minimization.py, the rule frozen in meta at init): the server scores the
-- cells from everyone allocated so far, applies the next slot's concealed random numbers as
-- minimization.choose does, and records the scores, which the audit replays. A station passes only
-- who is enrolled: it cannot bend the scores or write a cell into the list.
CREATE FUNCTION allocate_minimized(p_participant TEXT, p_stratum TEXT, p_intake TEXT, p_simulated BOOLEAN,
    p_pilot BOOLEAN)
RETURNS TEXT LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
    rule JSONB;
    levels JSONB := check_enrolment(p_participant, p_intake);
    cells TEXT[];
    candidate TEXT;
    f TEXT;
    total DOUBLE PRECISION;
    vals DOUBLE PRECISION[];
    scores JSONB := '{}';
    best DOUBLE PRECISION;
    preferred TEXT[];
    others TEXT[];
    pool TEXT[];
    slot RECORD;
BEGIN
    SELECT value::jsonb INTO rule FROM meta WHERE key = 'minimization';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this study does not allocate by minimization (allocate)' USING ERRCODE = 'PL003';
    END IF;
    SELECT * INTO slot FROM next_slot(p_participant, '');
    cells := ARRAY(SELECT c FROM jsonb_array_elements_text(rule->'cells') WITH ORDINALITY AS t(c, n) ORDER BY n);
    FOREACH candidate IN ARRAY cells LOOP
        total := 0;
        FOR f IN SELECT x FROM jsonb_array_elements_text(rule->'factors') WITH ORDINALITY AS t(x, n) ORDER BY n LOOP
            SELECT array_agg((coalesce(k.n, 0) + (c.cell = candidate)::int) / (rule->'ratio'->>c.cell)::float8
                    ORDER BY c.ord)
                INTO vals
                FROM unnest(cells) WITH ORDINALITY AS c(cell, ord)
                LEFT JOIN (SELECT p.cell, count(*) AS n FROM participants p
                    WHERE coalesce(p.intake::jsonb -> f, 'null') = coalesce(levels -> f, 'null') GROUP BY p.cell) k
                ON k.cell = c.cell;
            total := total + (rule->'weights'->>f)::float8 * spread(vals, rule->>'imbalance');
        END LOOP;
        scores := scores || jsonb_build_object(candidate, round(total::numeric, 12)::float8);
    END LOOP;
    best := (SELECT min(value::text::float8) FROM jsonb_each(scores));
    preferred := ARRAY(SELECT c FROM unnest(cells) WITH ORDINALITY AS t(c, n)
        WHERE (scores->>c)::float8 <= best + 1e-9 ORDER BY n);
    others := ARRAY(SELECT c FROM unnest(cells) WITH ORDINALITY AS t(c, n) WHERE c <> ALL(preferred) ORDER BY n);
    IF cardinality(others) = 0 OR slot.slot_u < (rule->>'p_preferred')::float8 THEN
        pool := preferred;
    ELSE
        pool := others;
    END IF;
    RETURN enrol_into(p_participant, p_stratum, p_intake, p_simulated, p_pilot, '', slot.slot_position,
        pool[least(floor(slot.slot_v * cardinality(pool))::INT, cardinality(pool) - 1) + 1],
        jsonb_build_object('scores', scores, 'preferred', to_jsonb(preferred), 'others', to_jsonb(others))::text);
END $$;

-- A participant's row, locked; refused (PL004) when not enrolled.
CREATE FUNCTION participant_for_update(p_participant TEXT) RETURNS participants
LANGUAGE plpgsql SET search_path = placebolab, pg_temp AS $$
DECLARE
    found_row participants;
BEGIN
    SELECT * INTO found_row FROM participants WHERE id = p_participant FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'participant % is not enrolled', p_participant USING ERRCODE = 'PL004';
    END IF;
    RETURN found_row;
END $$;

-- A session taken up by a frontend (first start or resume); returns the 'start' mark.
CREATE FUNCTION start_session(p_participant TEXT, p_at DOUBLE PRECISION, p_frontend TEXT)
RETURNS DOUBLE PRECISION
LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
    p participants := participant_for_update(p_participant);
BEGIN
    IF p.status = 'completed' THEN
        RAISE EXCEPTION 'participant % has already completed the session', p_participant USING ERRCODE = 'PL004';
    END IF;
    IF p_at IS NULL OR p_at IN ('NaN', 'Infinity', '-Infinity') OR coalesce(p_frontend, '') = '' THEN
        RAISE EXCEPTION 'a session needs a start time and a frontend' USING ERRCODE = 'PL003';
    END IF;
    UPDATE participants SET started_at = coalesce(p.started_at, p_at), status = 'running' WHERE id = p_participant;
    PERFORM append_event(p_participant, CASE WHEN p.started_at IS NULL THEN 'session_started' ELSE 'session_resumed' END,
        json_build_object('frontend', p_frontend)::text);
    RETURN coalesce(p.started_at, p_at);
END $$;

-- A session completes only when every step of the participant's cell is recorded (meta 'plan').
CREATE FUNCTION complete_checked(p_participant TEXT) RETURNS VOID
LANGUAGE plpgsql SET search_path = placebolab, pg_temp AS $$
DECLARE
    p participants := participant_for_update(p_participant);
    missing TEXT[];
BEGIN
    IF p.status <> 'running' THEN
        RAISE EXCEPTION 'participant %''s session is %, not running: it cannot be completed', p_participant, p.status
            USING ERRCODE = 'PL004';
    END IF;
    missing := ARRAY(SELECT k FROM meta, jsonb_array_elements_text(value::jsonb -> p.cell) AS k
        WHERE meta.key = 'plan' AND k NOT IN (SELECT step_key FROM steps WHERE participant = p_participant));
    IF cardinality(missing) > 0 THEN
        RAISE EXCEPTION 'participant % cannot be completed: steps % are not recorded', p_participant,
            array_to_string(missing[1:5], ', ') USING ERRCODE = 'PL004';
    END IF;
    UPDATE participants SET status = 'completed', completed_at = now_iso() WHERE id = p_participant;
    PERFORM append_event(p_participant, 'session_completed', NULL);
END $$;

CREATE FUNCTION complete_session(p_participant TEXT) RETURNS VOID
LANGUAGE sql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
    SELECT complete_checked(p_participant)
$$;

-- One completed step and its answers, with the digest the station computed (store/base.py's
-- record_digest: the audit recomputes it from the stored rows, so a wrong one is named, never hidden).
CREATE FUNCTION record_step(p_participant TEXT, p_step_key TEXT, p_step TEXT, p_occasion TEXT,
    p_shown_at DOUBLE PRECISION, p_completed_at DOUBLE PRECISION, p_frontend TEXT, p_detail TEXT,
    p_items TEXT[], p_values DOUBLE PRECISION[], p_rts DOUBLE PRECISION[], p_responded DOUBLE PRECISION[],
    p_mark TEXT, p_digest TEXT, p_completes BOOLEAN) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
    p participants := participant_for_update(p_participant);
    n INT := coalesce(cardinality(p_items), 0);
BEGIN
    IF p.status <> 'running' THEN
        RAISE EXCEPTION 'participant %''s session is %, not running: start or resume it first', p_participant,
            p.status USING ERRCODE = 'PL004';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM meta, jsonb_array_elements_text(value::jsonb -> p.cell) AS k
            WHERE meta.key = 'plan' AND k = p_step_key) THEN
        RAISE EXCEPTION 'step % is not a step of participant %''s timeline', p_step_key, p_participant
            USING ERRCODE = 'PL003';
    END IF;
    IF p_detail IS NOT NULL THEN
        PERFORM parse_json_object(p_detail, 'the step''s detail');
    END IF;
    IF coalesce(cardinality(p_values), 0) <> n OR coalesce(cardinality(p_rts), 0) <> n
            OR coalesce(cardinality(p_responded), 0) <> n THEN
        RAISE EXCEPTION 'step %: items, values, response times and response moments must be as many',
            p_step_key USING ERRCODE = 'PL003';
    END IF;
    IF p_digest IS NULL OR p_digest !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'step %: the digest must be 64 hex digits', p_step_key USING ERRCODE = 'PL003';
    END IF;
    INSERT INTO steps VALUES (p_participant, p_step_key, p_step, p_occasion, p_shown_at, p_completed_at,
        p_frontend, p_detail);
    INSERT INTO responses SELECT p_participant, p_step_key, i, v, r, a
        FROM unnest(p_items, p_values, p_rts, p_responded) AS t(i, v, r, a);
    IF p_mark IS NOT NULL THEN
        INSERT INTO marks VALUES (p_participant, p_mark, p_completed_at);
    END IF;
    PERFORM append_event(p_participant, 'step_recorded',
        json_build_object('step_key', p_step_key, 'digest', p_digest)::text);
    IF p_completes THEN
        PERFORM complete_checked(p_participant);
    END IF;
END $$;

-- The participant of a general link's token (by its SHA-256), made now if no link has it (store/base.py,
-- claim_link): under the log's lock, taken first as `placebolab links` (add_links) takes it, so two claims
-- of one token (two workers, a double click) give one participant, and the IDs stay dense.
CREATE FUNCTION claim_link(p_token_sha256 TEXT, p_prefix TEXT) RETURNS TEXT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
    found_ TEXT;
    made BIGINT;
BEGIN
    IF p_token_sha256 !~ '^[0-9a-f]{64}$' OR p_prefix !~ '^[a-z]{1,8}$' THEN
        RAISE EXCEPTION 'a link is claimed by a SHA-256 in hex and a prefix of letters: %, %',
            left(p_token_sha256, 80), left(p_prefix, 20) USING ERRCODE = 'PL003';
    END IF;
    LOCK TABLE events IN EXCLUSIVE MODE;
    SELECT participant INTO found_ FROM links WHERE token_sha256 = p_token_sha256;
    IF FOUND THEN
        RETURN found_;
    END IF;
    PERFORM append_event(NULL, 'links_created', '{"count": 1}');
    SELECT COUNT(*) INTO made FROM links;
    found_ := p_prefix || CASE WHEN made + 1 < 100000 THEN lpad((made + 1)::text, 5, '0') ELSE (made + 1)::text END;
    INSERT INTO links VALUES (p_token_sha256, found_, now_iso());
    RETURN found_;
END $$;

-- Slots used and left: counts only.
CREATE FUNCTION allocation_summary(OUT allocated BIGINT, OUT slots BIGINT)
LANGUAGE sql SECURITY DEFINER SET search_path = placebolab, pg_temp AS $$
    SELECT COUNT(participant), COUNT(*) FROM allocation
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA placebolab FROM PUBLIC;
GRANT USAGE ON SCHEMA placebolab TO EXPERIMENTER;
GRANT SELECT ON meta, files, participants, steps, responses, marks, events, links TO EXPERIMENTER;
GRANT EXECUTE ON FUNCTION allocate(TEXT, TEXT, TEXT, BOOLEAN, BOOLEAN),
    allocate_minimized(TEXT, TEXT, TEXT, BOOLEAN, BOOLEAN),
    start_session(TEXT, DOUBLE PRECISION, TEXT), complete_session(TEXT),
    record_step(TEXT, TEXT, TEXT, TEXT, DOUBLE PRECISION, DOUBLE PRECISION, TEXT, TEXT, TEXT[],
        DOUBLE PRECISION[], DOUBLE PRECISION[], DOUBLE PRECISION[], TEXT, TEXT, BOOLEAN),
    allocation_summary(), claim_link(TEXT, TEXT) TO EXPERIMENTER;
