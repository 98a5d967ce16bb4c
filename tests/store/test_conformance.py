"""The store conformance suite: the same tests on SQLite and on PostgreSQL (``backend``, tests/conftest.py;
with CI=true a missing server fails instead of skipping), through the ``Store`` interface only."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import replace

import pandas as pd
import pytest

from placebolab.allocation.audit import audit_study
from placebolab.errors import AllocationError, AlreadyEnrolled, StoreError
from placebolab.export import export_study
from placebolab.simulation.model import EffectsModel
from placebolab.simulation.run import simulate_study
from placebolab.store import Answer, Link, StepRecord
from placebolab.store.base import _LINK_DRAFTS, _LINK_STATE, GENESIS, _placeholders
from placebolab.store.sqlite import SQLiteStore
from placebolab.study import Study
from tests.conftest import ROOT
from tests.media.test_media_steps import media_protocol

VIDEO_VIGNETTE = ROOT / "protocols" / "video-vignette-anxiety.yaml"
INTAKE = {"sex": "female", "age": 31, "name": "Robin"}


def baseline(at: float, value: float = 40.0) -> StepRecord:
    return StepRecord(
        "itch_baseline",
        "itch_baseline",
        None,
        at,
        at + 2.5,
        "test",
        [Answer("", value, 2.5, at + 2.5)],
        mark="baseline",
    )


@pytest.fixture
def store(flagship_study):
    return flagship_study.store


def test_a_new_store_holds_the_protocol_its_files_and_one_sealed_log_entry(store):
    meta = store.meta()
    assert {"protocol_text", "protocol_sha256", "bundle_sha256", "list_sha256"} <= set(meta)
    files = store.files()
    assert files and all(store.file(path) == content for path, content in files.items())
    assert store.file("not/frozen.png") is None
    assert store.participants() == [] and store.participant("P001") is None
    assert store.allocation_summary()["allocated"] == 0 < store.allocation_summary()["slots"]
    (event,) = store.rows("events")
    assert event["kind"] == "initialised" and store.head() == (1, event["hash"]) != (0, GENESIS)
    assert set(store.sealed()) == {"seed", "salt", "blinding_key"}
    with pytest.raises(StoreError, match="unknown table"):
        store.rows("sqlite_master")


def test_a_participant_is_enrolled_and_runs(flagship_study, store):
    cell = store.enrol("P001", "sex=female", INTAKE)
    assert cell in {c.id for c in flagship_study.protocol.cells}
    assert store.start_session("P001", 1000.0, "test") == 1000.0
    assert store.start_session("P001", 2000.0, "test") == 1000.0  # a resumed session keeps its start
    store.record_step("P001", baseline(1001.0))
    assert store.completed_steps("P001") == {"itch_baseline"}
    assert store.marks("P001") == {"baseline": 1003.5}
    (response,) = store.rows("responses")
    assert (response["participant"], response["value"], response["rt"]) == ("P001", 40.0, 2.5)
    person = store.participant("P001")
    assert (person.cell, person.status, person.intake, person.started_at) == (cell, "running", INTAKE, 1000.0)
    assert [p.id for p in store.participants()] == ["P001"]
    assert store.allocation_summary()["allocated"] == 1
    kinds = [e["kind"] for e in store.rows("events")]
    assert kinds == ["initialised", "allocated", "session_started", "session_resumed", "step_recorded"]
    assert store.head()[0] == len(kinds)
    assert audit_study(flagship_study).problems == []


def test_an_enrolment_may_start_the_session_in_the_same_transaction(flagship_study, store):
    cell = store.enrol("P001", "sex=female", INTAKE, start=(1000.0, "test"))
    person = store.participant("P001")
    assert (person.cell, person.status, person.started_at) == (cell, "running", 1000.0)
    assert [e["kind"] for e in store.rows("events")] == ["initialised", "allocated", "session_started"]
    with pytest.raises(AlreadyEnrolled):
        store.enrol("P001", "sex=female", INTAKE, start=(2000.0, "test"))
    assert store.participant("P001").started_at == 1000.0 and store.head()[0] == 3
    assert audit_study(flagship_study).problems == []


def test_the_participant_an_enrolment_hands_a_session_is_the_one_stored(store):
    # repr: 1000 == 1000.0 and 1 == True would pass an ==; the stored row holds a float and a flag
    store.enrol("P001", "sex=female", INTAKE | {"name": "Zoë"}, simulated=1, start=(1000, "test"))
    assert repr(store.enrolled("P001")) == repr(store.participant("P001"))
    assert store.enrolled("P001").started_at == 1000.0 and store.enrolled("P001").status == "running"
    store.enrol("P002", "sex=male", INTAKE, pilot=True)  # allocated, not started
    assert repr(store.enrolled("P002")) == repr(store.participant("P002"))
    with pytest.raises(AlreadyEnrolled):
        store.enrol("P002", "sex=male", INTAKE)
    store.start_session("P002", 2000.0, "test")  # changed since it was enrolled: read as it is now
    assert repr(store.enrolled("P002")) == repr(store.participant("P002"))
    assert store.enrolled("P002").status == "running" and store.enrolled("P404") is None


def test_refusals_change_nothing(flagship_study, store):
    store.enrol("P001", "sex=female", INTAKE)
    store.start_session("P001", 1000.0, "test")
    store.record_step("P001", baseline(1001.0))
    head = store.head()
    with pytest.raises(AlreadyEnrolled):
        store.enrol("P001", "sex=male", INTAKE)
    with pytest.raises(AlreadyEnrolled):  # whatever else is wrong with the enrolment
        store.enrol("P001", "sex=none", INTAKE)
    with pytest.raises(StoreError, match="already recorded"):
        store.record_step("P001", baseline(1010.0, value=90.0))
    with pytest.raises(AllocationError):
        store.enrol("P002", "sex=none", INTAKE)
    with pytest.raises(AllocationError, match="not enrolled"):
        store.correct("P404", "withdrawn", "asked to stop", "owner")
    assert store.head() == head and [r["value"] for r in store.rows("responses")] == [40.0]
    assert audit_study(flagship_study).problems == []


def test_corrections_and_owner_entries_are_appended_to_the_chain(flagship_study, store):
    store.enrol("P001", "sex=female", INTAKE)
    store.correct("P001", "withdrawn", "asked to stop", "owner")
    store.log("unblinded", None, {"by": "owner"})
    with store.snapshot():
        events = store.rows("events")
        assert [e["kind"] for e in events[-2:]] == ["withdrawn", "unblinded"]
        assert store.head() == (events[-1]["id"], events[-1]["hash"])
    assert audit_study(flagship_study).problems == []


def test_a_video_protocol_runs_end_to_end(tmp_path, backend):
    """Each video is handed to the frontend from the store (``Store.file``), played, recorded, exported."""
    study = Study.init(VIDEO_VIGNETTE, tmp_path / "study", seed=8, store_url=backend)
    try:
        simulate_study(study, 4, EffectsModel(), seed=2)
        out = export_study(study)
        videos = pd.read_csv(out / "steps.csv").query("step == 'consultation'")
        assert len(videos) == 4 and (videos.duration > 0.5).all()  # the placeholder videos last about a second
        cells = {p.cell for p in study.store.participants()}
        assert len(list((tmp_path / "study" / "media-cache").glob("*.mp4"))) == len(cells)
        assert pd.read_csv(out / "wide.csv").status.eq("completed").all()
        assert audit_study(study).problems == []
    finally:
        study.close()


def test_image_sound_and_video_steps_take_their_media_time(tmp_path, backend):
    study = Study.init(media_protocol(tmp_path), tmp_path / "study", seed=4, store_url=backend)
    try:
        simulate_study(study, 3, EffectsModel(), seed=1)
        duration = pd.read_csv(export_study(study) / "steps.csv").groupby("step")["duration"]
        assert duration.min()["vignette"] == pytest.approx(2.0, abs=0.15)
        assert duration.max()["voice"] == pytest.approx(1.5) and duration.max()["portrait"] == 5.0
        assert duration.size()[["portrait", "voice", "vignette"]].tolist() == [3, 3, 3]
    finally:
        study.close()


def test_personal_links_keep_only_hashes_and_number_their_participants(flagship_study, store):
    first = store.add_links(["a" * 64, "b" * 64])
    assert first == ["web00001", "web00002"]
    assert store.add_links(["c" * 64]) == ["web00003"]  # numbered on from the links made before
    assert store.link_participant("b" * 64) == "web00002"
    assert store.link_participant("d" * 64) is None
    kinds = [e["kind"] for e in store.rows("events")]
    assert kinds == ["initialised", "links_created", "links_created"]
    assert audit_study(flagship_study).problems == []
    # a link, its participant's latest correction and session state, read together (what a web page asks at
    # every request): no state before enrolment
    assert store.link("b" * 64) == Link("web00002", None, None) and store.link("d" * 64) is None
    store.enrol("web00002", "sex=female", INTAKE, start=(1000.0, "test"))
    store.record_step("web00002", StepRecord("welcome", "welcome", None, 1001.0, 1002.0, "test"))
    store.correct("web00002", "excluded", "protocol deviation", "owner")
    state = replace(store.session_state("web00002", ()), drafts={})  # with the drafts, none
    assert store.link("b" * 64) == Link("web00002", "excluded", state)
    store.correct("web00002", "withdrawn", "asked to stop", "owner")
    assert store.link("b" * 64).correction == "withdrawn" == store.latest_correction("web00002")
    assert store.link("a" * 64) == Link("web00001", None, None)


def test_a_links_session_state_is_its_participants(store):
    """``Store.link`` reads the link's participant's state as ``session_state`` does, and no other's."""
    store.add_links(["a" * 64, "b" * 64])
    asked = ("welcome", "expectancy")
    for participant, start in (("web00001", 1000.0), ("web00002", 2000.0)):
        store.enrol(participant, "sex=female", INTAKE, start=(start, "test"))
        answers = [Answer("relief", start / 1000, 1.5, start + 11.5)]
        store.record_step(
            participant, StepRecord("expectancy", "expectancy", None, start + 10, start + 12, "test", answers)
        )
    store.record_step("web00002", baseline(2020.0))
    for token, participant in (("a" * 64, "web00001"), ("b" * 64, "web00002")):
        state = store.link(token, asked).state
        assert state == replace(store.session_state(participant, asked), drafts={})
        assert state.participant.id == participant
    assert store.link("a" * 64, asked).state.answers == {"expectancy": {"relief": 1.0}}
    assert store.link("b" * 64, asked).state.completed == {"expectancy", "itch_baseline"}


def test_a_link_reads_its_participants_drafts_and_a_consent_declined_before_enrolment(store):
    """What a web page needs besides the state comes with ``Store.link``: the drafts as ``drafts`` reads them
    (in the order given, none of a recorded step, none of another participant), and before enrolment whether
    the consent was declined (``consent_declined``)."""
    store.add_links(["a" * 64, "b" * 64, "c" * 64])
    assert store.link("a" * 64).declined is False
    store.decline_consent("web00001", {"step": "consent"})
    assert store.link("a" * 64) == Link("web00001", None, None, declined=True) and store.consent_declined("web00001")
    assert store.link("b" * 64).declined is False
    for participant, at in (("web00002", 1000.0), ("web00003", 2000.0)):
        store.enrol(participant, "sex=female", INTAKE, start=(at, "test"))
    assert store.link("b" * 64).state.drafts == {}
    store.save_drafts("web00002", "expectancy", 1010.0, [Answer("logical", 6.0, 3.0, 1013.0)])
    store.save_drafts("web00002", "expectancy", 1010.0, [Answer("relief", 7.0, 1.5, 1011.5)])
    store.save_drafts("web00002", "itch_baseline", 1020.0, [Answer("", 3.0, 1.0, 1021.0)])
    store.save_drafts("web00003", "expectancy", 2010.0, expectancy_drafts(2010.0))
    drafts = store.link("b" * 64).state.drafts
    assert drafts == store.drafts("web00002") and [d.answer.item for d in drafts["expectancy"]] == ["relief", "logical"]
    assert store.link("c" * 64).state.drafts == store.drafts("web00003") != drafts
    store.record_step("web00002", baseline(1020.0))  # recorded: its drafts are no longer read
    assert store.link("b" * 64).state.drafts == store.drafts("web00002") == {"expectancy": drafts["expectancy"]}
    assert store.link("b" * 64).declined is False


def _log_scanned(store, query: str, params: tuple) -> bool:
    """Whether the store's plan for ``query`` reads the whole log (PostgreSQL: with sequential scans made as
    costly as it allows, so a small log's scan is not chosen over an index that serves)."""
    if isinstance(store, SQLiteStore):  # a connection of its own: one keeps an EXPLAIN's answer with its statement
        with closing(sqlite3.connect(store.path)) as db:
            return any("SCAN events" in row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + query, params))
    with store._db.transaction():
        store._db.execute("SET LOCAL enable_seqscan = off")
        plan = store._db.execute("EXPLAIN " + query.replace("?", "%s"), params).fetchall()
    return any("Seq Scan on events" in row[0] for row in plan)


def test_a_links_declined_consent_is_read_through_an_index_never_the_whole_log(flagship_study, store):
    """A link not enrolled yet asks at every request whether its consent was declined: that read scanned the
    whole log (0.5 ms at 1,650 entries on PostgreSQL, for each of a participant's first four pages, growing
    with the study). A store made before the index gets it at its next opening for writing (its owner's)."""
    link = (_LINK_STATE + _LINK_DRAFTS).format(asked=_placeholders(["consent"]))
    declined = "SELECT 1 FROM events WHERE participant = ? AND kind = 'declined_consent' LIMIT 1"
    assert not _log_scanned(store, link, ("a" * 64, "consent", "a" * 64, "a" * 64))
    assert not _log_scanned(store, declined, ("web00001",))
    store._db.execute("DROP INDEX " + ("declines" if isinstance(store, SQLiteStore) else "placebolab.declines"))
    assert _log_scanned(store, declined, ("web00001",))  # the check above can fail
    flagship_study.close()
    with Study.open(flagship_study.folder, writing=True) as reopened:
        assert not _log_scanned(reopened.store, declined, ("web00001",))


def test_a_session_state_is_the_participant_their_steps_and_the_asked_answers_read_at_once(store):
    asked = ("welcome", "expectancy", "cream")  # welcome stores no answer; cream is not recorded
    assert store.session_state("P001", asked) is None
    store.enrol("P001", "sex=female", INTAKE, start=(1000.0, "test"))
    state = store.session_state("P001", asked)
    assert (state.participant, state.completed, state.answers) == (store.participant("P001"), frozenset(), {})
    store.record_step("P001", StepRecord("welcome", "welcome", None, 1001.0, 1002.0, "test"))
    answers = [Answer("relief", 7.0, 1.5, 1011.5), Answer("logical", 5.0, 2.0, 1012.0)]
    store.record_step("P001", StepRecord("expectancy", "expectancy", None, 1010.0, 1012.0, "test", answers))
    store.record_step("P001", baseline(1020.0))  # recorded, not asked: its answer is not read
    state = store.session_state("P001", asked)
    assert state.participant == store.participant("P001") and state.participant.started_at == 1000.0
    assert state.completed == store.completed_steps("P001") == {"welcome", "expectancy", "itch_baseline"}
    assert state.answers == {"expectancy": {"relief": 7.0, "logical": 5.0}}
    assert state.answers["expectancy"] == store.step_values("P001", "expectancy")
    nothing_asked = store.session_state("P001", ())
    assert nothing_asked.completed == state.completed and nothing_asked.answers == {}
    assert store.session_state("P002", asked) is None


def expectancy_drafts(at: float) -> list[Answer]:
    return [Answer("relief", 7.0, 1.5, at + 1.5), Answer("logical", 6.0, 3.0, at + 3.0)]


def test_drafts_are_kept_replaced_and_discarded_once_their_step_is_recorded(flagship_study, store):
    store.enrol("P001", "sex=female", INTAKE, start=(1000.0, "test"))
    head = store.head()
    assert store.drafts("P001") == {}
    store.save_drafts("P001", "expectancy", 1010.0, expectancy_drafts(1010.0))
    store.save_drafts("P001", "expectancy", 1020.0, [Answer("logical", 5.0, 2.0, 1022.0)])  # changed: replaced
    store.save_drafts("P001", "expectancy", 1020.0, [])  # nothing to keep: nothing written
    (drafts,) = store.drafts("P001").values()
    assert [(d.step_key, d.answer, d.shown_at) for d in drafts] == [
        ("expectancy", Answer("relief", 7.0, 1.5, 1011.5), 1010.0),
        ("expectancy", Answer("logical", 5.0, 2.0, 1022.0), 1020.0),
    ]
    assert store.head() == head, "drafts are not data: the log seals the step's commit, not its drafts"
    store.discard_drafts("P001", "expectancy")  # not recorded yet: its drafts stay
    assert len(store.drafts("P001")["expectancy"]) == 2
    assert store.rows("responses") == []

    answers = [Answer("relief", 7.0, 1.5, 1011.5), Answer("logical", 5.0, 2.0, 1022.0)]
    answers += [Answer("confident", 6.0, 4.0, 1024.0), Answer("doubt", 2.0, 5.0, 1025.0)]
    store.record_step("P001", StepRecord("expectancy", "expectancy", None, 1010.0, 1026.0, "test", answers))
    assert store.drafts("P001") == {}, "a recorded step's drafts are superseded by its commit"
    with pytest.raises(StoreError, match="already recorded"):
        store.save_drafts("P001", "expectancy", 1030.0, [Answer("relief", 1.0, 1.0, 1031.0)])
    store.discard_drafts("P001", "expectancy")
    assert sorted(r["item"] for r in store.rows("responses")) == ["confident", "doubt", "logical", "relief"]
    assert audit_study(flagship_study).problems == []


def test_drafts_are_refused_for_a_participant_not_running(flagship_study, store):
    with pytest.raises(StoreError, match="not enrolled"):
        store.save_drafts("P404", "expectancy", 1010.0, expectancy_drafts(1010.0))
    store.enrol("P001", "sex=female", INTAKE)  # allocated, not started
    with pytest.raises(StoreError, match="not running"):
        store.save_drafts("P001", "expectancy", 1010.0, expectancy_drafts(1010.0))
    assert store.drafts("P001") == {} and store.drafts("P404") == {}


def test_drafts_never_reach_the_export(flagship_study, store):
    simulate_study(flagship_study, 2, EffectsModel(), seed=3)
    store.enrol("P900", "sex=female", INTAKE, start=(1000.0, "test"))
    store.save_drafts("P900", "expectancy", 1010.0, expectancy_drafts(1010.0))
    out = export_study(flagship_study)
    long = pd.read_csv(out / "long.csv")
    assert "P900" not in set(long.participant) and len(long) > 0
    assert "P900" not in set(pd.read_csv(out / "steps.csv").participant)
    assert audit_study(flagship_study).problems == []


def test_a_stores_watch_tells_whom_another_connection_has_written_for(flagship_study, store):
    """``watch_changes`` (a web worker keeps each link's session until it says otherwise:
    frontends/web/kept_sessions.py): first None (anything may have changed), then nothing for this connection's own
    commits, and for another connection's: SQLite's that someone wrote (None), PostgreSQL's whom for (its change
    notices, store/postgres_changes.sql), once."""
    watch = store.watch_changes()
    assert watch.changed() is None
    store.enrol("P001", "sex=female", INTAKE)  # this connection's own commits
    store.enrol("P002", "sex=female", INTAKE, start=(1000.0, "test"))
    assert watch.changed() == frozenset()
    other = Study.open(flagship_study.folder, writing=True)
    try:
        other.store.correct("P001", "withdrawn", "asked to", "test")
    finally:
        other.close()
    assert heard(watch) == (None if isinstance(store, SQLiteStore) else {"P001"})
    assert watch.changed() == frozenset()


def heard(watch) -> frozenset[str] | None:
    """What ``watch`` tells once it tells anything (within 5 s): PostgreSQL's notices come moments after the commit."""
    deadline = time.monotonic() + 5
    while (changed := watch.changed()) == frozenset() and time.monotonic() < deadline:
        time.sleep(0.01)
    return changed


def test_each_participants_rows_come_in_the_order_they_were_recorded(flagship_study, store):
    """``rows`` (what the export writes) lists a participant's steps, answers and marks as they were recorded,
    on every backend: on PostgreSQL they came ordered by participant alone, the rest as its sort left them, so
    two exports of the same data could differ."""
    simulate_study(flagship_study, 6, EffectsModel(), seed=2)
    store.enrol("P001", "sex=female", INTAKE, start=(1000.0, "test"))  # after them, yet sorted before them
    store.record_step("P001", StepRecord("welcome", "welcome", None, 1001.0, 1002.0, "test"))
    answers = [Answer(item, 5.0, 1.0, 1011.0 + i) for i, item in enumerate(("relief", "logical", "confident", "doubt"))]
    store.record_step("P001", StepRecord("expectancy", "expectancy", None, 1010.0, 1015.0, "test", answers))
    store.record_step("P001", baseline(1020.0))
    steps = store.rows("steps")
    for participant in {s["participant"] for s in steps}:
        mine = [s for s in steps if s["participant"] == participant]
        assert [s["completed_at"] for s in mine] == sorted(s["completed_at"] for s in mine)
        recorded = [s["step_key"] for s in mine]
        answered = [r["step_key"] for r in store.rows("responses") if r["participant"] == participant]
        assert answered == sorted(answered, key=recorded.index)  # each step's answers together, in step order
        marks = [m["at"] for m in store.rows("marks") if m["participant"] == participant]
        assert marks == sorted(marks)
    p001 = [(r["step_key"], r["item"]) for r in store.rows("responses") if r["participant"] == "P001"]
    assert p001 == [("expectancy", item) for item in ("relief", "logical", "confident", "doubt")] + [
        ("itch_baseline", "")
    ]  # as answered
