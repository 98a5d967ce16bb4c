-- Change notices: every commit that writes for a participant notifies the channel placebolab_changes with their
-- ID, so that a web worker keeping sessions between requests (frontends/web/kept_sessions.py) hears that another
-- connection wrote for that participant and reads them again. Every write to a participant's session (an
-- enrolment, a start, a step, a completion, a correction, a consent declined) appends a log entry for them in the
-- same transaction (append_event): the log's rows notify, and drafts', which the log does not seal. A log entry
-- for nobody (the study's own, links made) concerns no session: no notice. PostgreSQL delivers notices at commit
-- only (a rolled-back write says nothing), a transaction's notices for one participant once, and in commit order.
-- Run after postgres.sql when a study is made, and by the owner's first opening of a study made before it
-- existed (store/postgres.py: it may run again).
SET LOCAL search_path = placebolab;

CREATE OR REPLACE FUNCTION notify_change() RETURNS TRIGGER
LANGUAGE plpgsql SET search_path = placebolab, pg_temp AS $$
DECLARE
    concerned TEXT := CASE TG_OP WHEN 'DELETE' THEN OLD.participant ELSE NEW.participant END;
BEGIN
    IF concerned IS NOT NULL THEN
        PERFORM pg_notify('placebolab_changes', concerned);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION notify_change();
CREATE OR REPLACE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE ON drafts
    FOR EACH ROW EXECUTE FUNCTION notify_change();
