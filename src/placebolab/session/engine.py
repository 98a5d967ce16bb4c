"""The session engine. It is driven, it does not drive: a frontend asks for the current step (what to
show and the earliest time it may be shown), shows it, and submits the answers; the session commits them
to the store and only then moves on. The session's state is what the store holds, so resuming after a
crash is opening the session again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from placebolab.allocation import stratum_of
from placebolab.components import MediaShown, StepBase
from placebolab.errors import AlreadyEnrolled, InternalError, SessionError
from placebolab.protocol.occurrences import Occurrence
from placebolab.session.clock import Clock, RealClock
from placebolab.store import Answer, Draft, Participant, SessionState, StepRecord

if TYPE_CHECKING:
    from placebolab.protocol.models import Protocol
    from placebolab.study import Study


@dataclass(frozen=True)
class Current:
    """What a frontend needs to show the current step."""

    occurrence: Occurrence
    not_before: float | None  # epoch seconds; None: show now
    pages: list[str]  # rendered markdown pages of a text or script step, else []
    speaker: str | None
    media: MediaShown | None = None  # an image, audio or video step's file (see components.media)
    drafts: Drafts | None = None  # a step with answers: keeps each as it is given (None: the store cannot)

    @property
    def step(self) -> StepBase:
        return self.occurrence.step

    @property
    def kept(self) -> dict[str, Answer]:
        """Answers to this step kept so far (given before an interruption, or earlier in this showing): item
        id → answer. A frontend resumes the step at its first item not here, showing these as given."""
        return self.drafts.kept if self.drafts is not None else {}

    @property
    def key(self) -> str:
        return self.occurrence.key


class Drafts:
    """The answers kept so far for one step occurrence: a frontend saves each answer as it is given (``save``:
    the console after each item, the lab window as each marker is set), so that a stop loses none, and a
    resumed step starts at its first unanswered item. The step's commit holds them (``Session.submit``)."""

    def __init__(self, session: Session, key: str, drafts: list[Draft]):
        self._session, self.key = session, key
        self._drafts = {d.answer.item: d for d in drafts}

    @property
    def kept(self) -> dict[str, Answer]:
        return {item: draft.answer for item, draft in self._drafts.items()}

    def save(self, values: dict[str, Any], shown_at: float, answered_at: dict[str, float] | None = None) -> None:
        """Check and keep ``values`` (item id → answer) given in the showing whose onset is ``shown_at``
        (``answered_at``: item id → when each was given; default now), before the step is submitted."""
        for draft in self._session._save_drafts(self.key, values, shown_at, answered_at):
            self._drafts[draft.answer.item] = draft

    def draft(self, item: str) -> Draft | None:
        return self._drafts.get(item)


class Session:
    def __init__(self, study: Study, state: SessionState, frontend: str, clock: Clock, *, new: bool = False):
        """``state``: the participant as the store holds them (``Store.session_state``); ``new``: enrolled a moment
        ago, so no step or mark is stored yet (nothing to read back)."""
        participant = state.participant
        self.study, self.participant, self.frontend, self.clock = study, participant, frontend, clock
        self.protocol = study.protocol
        self.cell = self.protocol.cell(participant.cell)
        self.plan = self.protocol.plans[participant.cell]
        # what the participant's steps are rendered from: fixed for the session (frozen files, cell, intake)
        self._files = self.protocol.files
        self._context = self.protocol.template_context(self.cell, participant.intake)
        done = state.completed
        self._left = deque(o for o in self.plan if o.key not in done)  # in plan order; the first is current
        #: the step whose answer ended the session early (a consent declined); None while it runs on
        self.declined_at: str | None = None
        for occurrence in self.plan:
            if occurrence.key in done and occurrence.step.may_decline:
                if occurrence.step.declines(state.answers.get(occurrence.key, {})):
                    self._end(occurrence.key)
                    break
        self._new = new
        self._state_drafts = state.drafts
        self._drafts: Drafts | None = None  # the current step's

    # marks and drafts are read when a step first needs them, not at every opening (a web page opens the
    # session at every request, and a text page needs neither)

    @cached_property
    def _marks(self) -> dict[str, float]:
        """The participant's marks by name, with the session's start (read once; later ones are set here)."""
        marks = {} if self._new else self.study.store.marks(self.participant.id)
        if self.participant.started_at is not None:
            marks["start"] = self.participant.started_at
        return marks

    @cached_property
    def _stored_drafts(self) -> dict[str, list[Draft]]:
        """Answers kept of steps not yet recorded (a stop mid-questionnaire), read once: later ones are saved here."""
        if self._new:
            return {}
        if self._state_drafts is not None:  # read with the state
            return {key: list(drafts) for key, drafts in self._state_drafts.items()}
        return self.study.store.drafts(self.participant.id)

    def _begin(self) -> Self:
        """Record that a frontend took the session up again (resume)."""
        self._marks["start"] = self.study.store.start_session(self.participant.id, self.clock.now(), self.frontend)
        return self._complete_if_done()

    def _end(self, key: str) -> None:
        """The session ends at ``key`` (declined there): nothing after it is shown, and it never completes."""
        self.declined_at = key
        self._left.clear()

    def _complete_if_done(self) -> Self:
        if self.declined_at is None and self._next_occurrence() is None and self.participant.status != "completed":
            self.study.store.complete(self.participant.id)  # crashed after the last step, before completing
        return self

    # --- opening -----------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        study: Study,
        participant_id: str,
        intake: dict[str, Any],
        frontend: str,
        clock: Clock,
        *,
        simulated: bool = False,
        pilot: bool = False,
        external: dict[str, str] | None = None,
    ) -> Self:
        """Enrol a new participant and start their session, in one transaction (allocation happens here,
        atomically): one durable commit, and never a participant enrolled but not started.

        ``external``: values the frontend brings instead of asking them (a recruiting platform's IDs), stored
        with the intake: checked by their intake field where the protocol declares one (and then exported
        unless it is identifying); stored but never exported where it does not."""
        check_participant_id(participant_id)
        declared = {field.id for field in study.protocol.intake}
        brought = external or {}
        checked = check_intake(study.protocol, intake | {k: v for k, v in brought.items() if k in declared})
        stratum = stratum_of(study.protocol, checked)
        try:
            study.store.enrol(
                participant_id,
                stratum,
                checked | {k: v for k, v in brought.items() if k not in declared},
                simulated=simulated,
                pilot=pilot,
                minimizer=study.minimizer,
                start=(clock.now(), frontend),
            )
        except AlreadyEnrolled:  # refused atomically, nothing stored; say whether to resume or take another ID
            existing = study.store.participant(participant_id)
            if existing is None:
                raise
            raise AlreadyEnrolled(_existing_message(existing, study.folder)) from None
        participant = study.store.enrolled(participant_id)
        if participant is None:
            raise InternalError("the participant enrolled just above is in the store")
        return cls(study, SessionState(participant, frozenset(), {}), frontend, clock, new=True)._complete_if_done()

    @staticmethod
    def ensure_new(study: Study, participant_id: str) -> None:
        """Refuse an ID that is malformed or already enrolled, saying what to do instead."""
        check_participant_id(participant_id)
        state = _state(study, participant_id)
        if state is not None:
            if Session(study, state, "", RealClock()).declined_at is not None:
                raise AlreadyEnrolled(
                    f"participant {participant_id} declined consent and their session ended; use a new participant ID"
                )
            raise AlreadyEnrolled(_existing_message(state.participant, study.folder))

    @classmethod
    def resume(cls, study: Study, participant_id: str, frontend: str, clock: Clock) -> Self:
        state = _state(study, participant_id)
        if state is None:
            raise SessionError(
                f"participant {participant_id} is not enrolled in {study.name}; start them without --resume"
            )
        if state.participant.status == "completed":
            raise SessionError(f"participant {participant_id} has already completed the session; nothing to resume")
        session = cls(study, state, frontend, clock)
        if session.declined_at is not None:
            raise SessionError(
                f"participant {participant_id} declined consent (step {session.declined_at}); their session ended "
                "there and has nothing to resume"
            )
        return session._begin()

    @classmethod
    def open(cls, study: Study, participant_id: str, frontend: str, clock: Clock) -> Self | None:
        """The enrolled participant's session as the store holds it, without logging that it was taken up
        (a web page asks for it at every request); None when no such participant is enrolled."""
        state = _state(study, participant_id)
        return None if state is None else cls(study, state, frontend, clock)

    # --- driving -----------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.current() is None

    @property
    def position(self) -> Occurrence | None:
        """Where the session stands: its first occurrence without an answer (None once every one has one)."""
        return self._next_occurrence()

    @property
    def kept(self) -> dict[str, Answer]:
        """Answers to the session's position kept from before a stop (item id → answer), as it was opened."""
        at = self._next_occurrence()
        return {} if at is None else {d.answer.item: d.answer for d in self._stored_drafts.get(at.key, [])}

    def current(self) -> Current | None:
        occurrence = self._next_occurrence()
        if occurrence is None:
            return None
        pages, speaker = self._render(occurrence.step)
        media = self._media(occurrence.step)
        return Current(occurrence, self._not_before(occurrence), pages, speaker, media, self._drafts_of(occurrence))

    def submit(
        self,
        key: str,
        values: dict[str, Any],
        shown_at: float,
        answered_at: dict[str, float] | None = None,
        detail: dict[str, Any] | None = None,
        completed_at: float | None = None,
    ) -> None:
        """Check and commit the answers to the current step; the session advances only once they are stored.
        ``completed_at``: when it was answered, if before now (online, a consent given before enrolment is
        recorded once enrolment has made the session)."""
        current = self._next_occurrence()
        if current is None:
            raise SessionError(f"the session of {self.participant.id} is complete; nothing more to submit")
        if key != current.key:
            raise SessionError(f"'{key}' is not the current step (that is '{current.key}')")
        completed_at = self.clock.now() if completed_at is None else completed_at
        drafts = self._drafts_of(current)
        answers, onsets, kept = [], {shown_at}, []
        for item in current.items:
            if item.kind == "ack":
                continue
            if item.id not in values or values[item.id] is None:
                draft = drafts.draft(item.id) if drafts is not None else None
                if draft is None:
                    raise SessionError(f"step {key}: an answer to '{item.id or key}' is needed")
                answers.append(draft.answer)  # given and kept before: as it was given, with its own rt
                if draft.shown_at != shown_at:  # in an earlier showing, before a stop
                    onsets.add(draft.shown_at)
                    kept.append(item.id)
                continue
            try:
                value = item.check(values[item.id])
            except ValueError as exc:
                raise SessionError(f"step {key}: {exc}") from None
            at = (answered_at or {}).get(item.id, completed_at)
            answers.append(Answer(item.id, value, at - shown_at, at))
        if len(onsets) > 1:  # shown again after a stop: the step's onset is its first showing's
            detail = {**(detail or {}), "resumed": {"shown_at": sorted(onsets), "kept": kept}}
        occasion = current.occasion
        stored = current.step.stored_detail(self._files)
        if stored:
            detail = {**(detail or {}), **stored}
        record = StepRecord(
            key,
            current.step.id,
            occasion.label if occasion else None,
            min(onsets),
            completed_at,
            self.frontend,
            answers,
            current.step.mark,
            self._with_lateness(current, min(onsets), detail),
        )
        declined = current.step.may_decline and current.step.declines({a.item: a.value for a in answers})
        self.study.store.record_step(
            self.participant.id, record, completes_session=len(self._left) == 1 and not declined
        )
        self._left.popleft()  # only once stored: a failed commit leaves the step current
        if declined:
            self._end(key)
        if current.step.mark:
            self._marks[current.step.mark] = completed_at
        if drafts is not None and drafts.kept:  # the commit holds them now
            self._drafts = None
            self._stored_drafts.pop(key, None)
            self.study.store.discard_drafts(self.participant.id, key)

    def _save_drafts(
        self, key: str, values: dict[str, Any], shown_at: float, answered_at: dict[str, float] | None
    ) -> list[Draft]:
        """``Drafts.save``: check the answers to the current step given so far, and keep them in the store."""
        current = self._next_occurrence()
        if current is None or key != current.key:
            raise SessionError(f"'{key}' is not the current step; its answers were not kept")
        items = {item.id: item for item in current.items if item.kind != "ack"}
        now, drafts = self.clock.now(), []
        for item_id, raw in values.items():
            if item_id not in items:
                raise SessionError(f"step {key} has no item '{item_id}'")
            if raw is None:
                continue
            try:
                value = items[item_id].check(raw)
            except ValueError as exc:
                raise SessionError(f"step {key}: {exc}") from None
            at = (answered_at or {}).get(item_id, now)
            drafts.append(Draft(key, Answer(item_id, value, at - shown_at, at), shown_at))
        self.study.store.save_drafts(self.participant.id, key, shown_at, [d.answer for d in drafts])
        return drafts

    # --- internals ---------------------------------------------------------------------------------

    def _next_occurrence(self) -> Occurrence | None:
        return self._left[0] if self._left else None

    def _drafts_of(self, occurrence: Occurrence) -> Drafts | None:
        """The current step's drafts (the same object while it stays current): None for a step without answers,
        or where the store keeps no drafts."""
        if not occurrence.step.asked or not self.study.store.keeps_drafts:
            return None
        if self._drafts is None or self._drafts.key != occurrence.key:
            self._drafts = Drafts(self, occurrence.key, self._stored_drafts.get(occurrence.key, []))
        return self._drafts

    def _not_before(self, occurrence: Occurrence) -> float | None:
        occasion = occurrence.occasion
        if occasion is None:
            return None
        if occasion.mark not in self._marks:  # validate refuses such a protocol; never a KeyError mid-session
            raise SessionError(
                f"step {occurrence.key} is timed from mark '{occasion.mark}', which no earlier step set for "
                f"participant {self.participant.id} (cell {self.cell.id}); the protocol must set the mark in every "
                "cell that shows the step (`placebolab validate` says where)"
            )
        return self._marks[occasion.mark] + occasion.seconds

    def _with_lateness(
        self, occurrence: Occurrence, shown_at: float, detail: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """A scheduled occurrence's detail gains ``late_s``: seconds from its scheduled time to its onset
        (0 when on time; negative only if a frontend showed it before ``not_before``, which none does)."""
        due = self._not_before(occurrence)
        if due is None:
            return detail
        return {**(detail or {}), "late_s": round(shown_at - due, 3) + 0.0}  # + 0.0: no "-0.0"

    def _media(self, step: StepBase) -> MediaShown | None:
        if step.media_kind is None:
            return None
        info = self.protocol.media(step.id, self.cell.id)
        return MediaShown(self.study.media_file(info), info.kind, info.duration, info.size)

    def _render(self, step: StepBase) -> tuple[list[str], str | None]:
        try:
            return step.render(self._files, self._context), step.render_speaker(self._context)
        except _template_errors() as exc:  # a branch only this participant's intake takes
            raise SessionError(
                f"step '{step.id}' cannot be shown to participant {self.participant.id}: its template fails ({exc}); "
                "nothing was shown or stored for it; correct the protocol's template"
            ) from None


def _state(study: Study, participant_id: str) -> SessionState | None:
    """What a session is opened from, in one read of the store; None for a participant not enrolled."""
    return study.store.session_state(participant_id, study.protocol.decline_keys)


def _template_errors() -> tuple[type[Exception], ...]:
    """What a failing template raises. An ``except`` clause evaluates this only once something was raised, so
    jinja2 is imported when needed (``placebolab --help`` stays quick), not for every step shown."""
    import jinja2

    from placebolab.components.templating import TemplateRefused

    return (TemplateRefused, jinja2.TemplateError)


def check_intake(protocol: Protocol, values: dict[str, Any], complete: bool = True) -> dict[str, Any]:
    """The intake values as stored, each checked against its field; ``complete=False`` accepts a partial set
    (answers given up front, the rest still to be asked). Unknown fields and bad values raise SessionError."""
    fields = {field.id: field for field in protocol.intake}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise SessionError(f"unknown intake fields: {', '.join(unknown)}; the protocol asks for {', '.join(fields)}")
    checked = {}
    for field in protocol.intake:
        if field.id not in values:
            if complete:
                raise SessionError(f"intake field '{field.id}' is missing ({field.label or field.type})")
            continue
        try:
            checked[field.id] = field.check(values[field.id])
        except ValueError as exc:
            raise SessionError(f"intake field '{field.id}': {exc}") from None
    return checked


def check_participant_id(value: str) -> str:
    """An ID that cannot be mistyped into a second enrolment: not empty, no spaces or control characters."""
    if not value or any(c.isspace() or not c.isprintable() for c in value):
        raise SessionError(f"{value!r} is not a participant ID; use letters, digits, - or _, e.g. P001")
    return value


def _existing_message(participant: Participant, folder: Path) -> str:
    if participant.status == "completed":
        return f"participant {participant.id} has already completed the session; use a new participant ID"
    return (
        f"participant {participant.id} already has an interrupted session; continue it with "
        f"`placebolab run {folder} --participant {participant.id} --resume`"
    )
