-- Drafts on PostgreSQL: answers given on a step not yet recorded (a questionnaire stopped mid-page), kept
-- so that a resumed session loses none; the step's commit holds them and discard_drafts then removes them.
-- Not data: no export reads them and the log does not seal them (the step's commit is sealed).
-- Run after postgres.sql when a study is made, and by the owner's first opening of a study made before
-- drafts existed (store/postgres.py: every statement may run again). EXPERIMENTER as in postgres.sql.
SET LOCAL search_path = placebolab;

CREATE TABLE IF NOT EXISTS drafts (
    participant  TEXT NOT NULL REFERENCES participants(id),
    step_key     TEXT NOT NULL,
    item         TEXT NOT NULL DEFAULT '',
    value        DOUBLE PRECISION,
    rt           DOUBLE PRECISION,
    responded_at DOUBLE PRECISION NOT NULL,
    shown_at     DOUBLE PRECISION NOT NULL,
    saved_at     TEXT NOT NULL,
    PRIMARY KEY (participant, step_key, item)
);

-- Keep answers of a step of the participant's timeline that is not recorded yet (replacing earlier ones).
CREATE OR REPLACE FUNCTION save_drafts(p_participant TEXT, p_step_key TEXT, p_shown_at DOUBLE PRECISION,
    p_items TEXT[], p_values DOUBLE PRECISION[], p_rts DOUBLE PRECISION[], p_responded DOUBLE PRECISION[])
RETURNS VOID LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
    p participants := participant_for_update(p_participant);
    n INT := coalesce(cardinality(p_items), 0);
BEGIN
    IF p.status <> 'running' THEN
        RAISE EXCEPTION 'participant % is %, not running: no answer of step % kept', p_participant, p.status,
            p_step_key USING ERRCODE = 'PL004';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM meta, jsonb_array_elements_text(value::jsonb -> p.cell) AS k
            WHERE meta.key = 'plan' AND k = p_step_key) THEN
        RAISE EXCEPTION 'step % is not a step of participant %''s timeline', p_step_key, p_participant
            USING ERRCODE = 'PL003';
    END IF;
    IF EXISTS (SELECT 1 FROM steps WHERE participant = p_participant AND step_key = p_step_key) THEN
        RAISE EXCEPTION 'step % of % is already recorded; nothing was changed', p_step_key, p_participant
            USING ERRCODE = 'PL004';
    END IF;
    IF coalesce(cardinality(p_values), 0) <> n OR coalesce(cardinality(p_rts), 0) <> n
            OR coalesce(cardinality(p_responded), 0) <> n OR p_shown_at IS NULL THEN
        RAISE EXCEPTION 'step %: items, values, response times and response moments must be as many, with an onset',
            p_step_key USING ERRCODE = 'PL003';
    END IF;
    INSERT INTO drafts SELECT p_participant, p_step_key, i, v, r, a, p_shown_at, now_iso()
        FROM unnest(p_items, p_values, p_rts, p_responded) AS t(i, v, r, a)
        ON CONFLICT (participant, step_key, item) DO UPDATE SET value = EXCLUDED.value, rt = EXCLUDED.rt,
            responded_at = EXCLUDED.responded_at, shown_at = EXCLUDED.shown_at, saved_at = EXCLUDED.saved_at;
END $$;

-- Remove the drafts of a step once it is recorded (its commit holds them); a step not recorded keeps them.
CREATE OR REPLACE FUNCTION discard_drafts(p_participant TEXT, p_step_key TEXT) RETURNS VOID
LANGUAGE sql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
    DELETE FROM drafts WHERE participant = p_participant AND step_key = p_step_key
        AND EXISTS (SELECT 1 FROM steps WHERE participant = p_participant AND step_key = p_step_key)
$$;

REVOKE ALL ON FUNCTION save_drafts(TEXT, TEXT, DOUBLE PRECISION, TEXT[], DOUBLE PRECISION[], DOUBLE PRECISION[],
    DOUBLE PRECISION[]), discard_drafts(TEXT, TEXT) FROM PUBLIC;
GRANT SELECT ON drafts TO EXPERIMENTER;
GRANT EXECUTE ON FUNCTION save_drafts(TEXT, TEXT, DOUBLE PRECISION, TEXT[], DOUBLE PRECISION[],
    DOUBLE PRECISION[], DOUBLE PRECISION[]), discard_drafts(TEXT, TEXT) TO EXPERIMENTER;
