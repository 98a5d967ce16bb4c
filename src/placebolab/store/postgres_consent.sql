-- A consent declined before enrolment (online, where a link's first page is the consent step): the web server,
-- a station, logs it for the link's participant, who is never enrolled nor allocated (store/base.py,
-- decline_consent). Run after postgres.sql when a study is made, and by the owner's first opening of a study
-- made before it existed (store/postgres.py: it may run again). EXPERIMENTER as in postgres.sql.
SET LOCAL search_path = placebolab;

CREATE OR REPLACE FUNCTION decline_consent(p_participant TEXT, p_detail TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = placebolab, pg_temp SET lock_timeout = '5s' AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM links WHERE participant = p_participant) THEN
        RAISE EXCEPTION 'participant % has no link: only a link''s participant declines before enrolment',
            left(p_participant, 80) USING ERRCODE = 'PL003';
    END IF;
    PERFORM parse_json_object(p_detail, 'the decline''s detail');
    LOCK TABLE events IN EXCLUSIVE MODE;  -- append_event's lock, taken first: two declines log one entry
    IF EXISTS (SELECT 1 FROM participants WHERE id = p_participant) THEN
        RAISE EXCEPTION 'participant % is enrolled: their consent step records a decline', p_participant
            USING ERRCODE = 'PL001';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM events WHERE participant = p_participant AND kind = 'declined_consent') THEN
        PERFORM append_event(p_participant, 'declined_consent', p_detail);
    END IF;
END $$;

-- Asked at every request of a link not enrolled yet (store/base.py, Store.link), which scanned the whole log.
CREATE INDEX IF NOT EXISTS declines ON events (participant) WHERE kind = 'declined_consent';

REVOKE ALL ON FUNCTION decline_consent(TEXT, TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION decline_consent(TEXT, TEXT) TO EXPERIMENTER;
