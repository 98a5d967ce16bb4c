"""The web frontend: a Starlette app that shows each participant, at their personal link, their current step.

One step per request. ``GET /s/TOKEN`` shows the start page (nothing is enrolled by a GET: link scanners
and previews issue GETs), then the current step (the engine's ``current()``), a waiting page for a
scheduled step not yet due, or the completion page. ``POST /s/TOKEN/start`` enrols (the intake from the
start page's form; allocation happens here, through ``Session.start`` as at the console) and ``POST
/s/TOKEN/step`` commits the current step, then redirects (303) back to the GET. The state is the store's:
a reload, a closed tab or another device with the same link shows the first unanswered step; a stale form
(the back button, a double click) names a step that is no longer current and records nothing. (A worker keeps
a link's session between its requests until the store says someone else has written for it: ``kept_sessions.py``.)

Every form carries a token the server signed (HMAC with the app's secret) over the participant, the step
key and the onset (when the page was first shown): it is the CSRF check, and it keeps the onset honest. A timed
step (``Screen.minimum``: a pause, a picture, a sound, a film) first shown at the bare link answers 303 to the link
with its onset signed (``?onset=…&sig=…``): the address a reload (F5) loads then keeps its wait and its onset.
Media are served under names signed for the participant and step, never their file's (nor a cell's) name.

Every page loads one script of the study's own (``templates/placebolab.js``; the CSP allows no other and no
inline script): it posts the browser's timing with the step (``client.read_report`` checks it; stored in
the step's ``detail`` with ``server_received_at``), holds Continue until every question is answered and a
sound or film has played to its end, shows a VAS without a default, and keeps what was entered on a step's
page in the tab (``sessionStorage``) until the step is answered, so a Continue lost on its way loses no answer
(docs/online.md, "What the browser keeps"). Every page works without it: then only ``server_received_at`` is
stored, and a sound or film is refused only before its length has passed.

The secret is kept in the study folder (``web-secret``, mode 0600: ``study_secret``), so a page signed
before a restart of the server is still accepted after it.

With ``prolific=COMPLETION_CODE``, ``GET /prolific?PROLIFIC_PID=…&STUDY_ID=…&SESSION_ID=…`` is the study's
general link on Prolific: one participant per Prolific ID (``Store.claim_link``: a second visit, a second
tab or a double click finds the same one), enrolled only by the POST of its start page, their IDs stored
with the intake (exported only where the protocol declares them as intake fields that are not identifying).
Their pages are those of a personal link whose token is derived from their Prolific ID (``prolific_token``);
once their last answer is committed, that page sends them to Prolific's completion URL with the code.

When every cell's plan begins with a consent step (``first_consent``), a link's first page is that step, before
enrolment (a GET stores nothing). ``POST /s/TOKEN/consent`` (``/prolific/consent``) takes the answer: agreed, it
redirects (303) to the link with the agreement in its URL (signed for the link: ``_sign_agreement``; stored
nowhere), whose start page's form carries it on, and that POST enrols and records the consent as the session's
first step; without intake fields, agreeing enrols at once.
Declined, nothing is enrolled: the decline is logged (``Study.decline_consent``) and the link shows the
thank-you page from then on.

Enrolment POSTs (and a consent's POST that declines or enrols) are rate-limited per client address
(``RateLimit``); a withdrawn participant's link shows only that it is no longer active.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import mimetypes
import os
import re
import secrets
import stat
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from placebolab.components.catalogue import Catalogue, catalogue
from placebolab.components.consent import AGREED
from placebolab.errors import AllocationError, AlreadyEnrolled, InternalError, SessionError, StoreError
from placebolab.frontends.base import coming_next, refuse_unshowable
from placebolab.frontends.web.client import read_report
from placebolab.frontends.web.kept_pages import SIZE, KeptPages
from placebolab.frontends.web.kept_sessions import KeptSessions
from placebolab.frontends.web.screens import (
    FIXED,
    HONEYPOT,
    SCREENS,
    Question,
    Screen,
    fixed_screen,
    form_detail,
    form_problem,
    form_values,
    kept_for,
    markdown_parser,
)
from placebolab.frontends.web.synced import SyncedResponses
from placebolab.protocol.occurrences import Occurrence
from placebolab.session import Current, RealClock, Session

if TYPE_CHECKING:
    from placebolab.store.records import Link

FRONTEND = "web"
_log = logging.getLogger(__name__)  # the server's console: what a participant's error page does not say
#: a personal link's token: secrets.token_urlsafe(32), 43 characters of the URL-safe base64 alphabet
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
CSP = b"default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
HEADERS = [
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CSP),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]
#: Where a Prolific participant is sent once their last answer is committed (``?cc=`` the completion code).
PROLIFIC_COMPLETE = "https://app.prolific.com/submissions/complete"
#: Prolific's IDs (a participant's, a study's, a submission's): 24 lowercase hex digits.
PROLIFIC_ID = re.compile(r"^[0-9a-f]{24}$")
#: The URL parameters of Prolific's general link → the intake names they are stored under.
PROLIFIC_PARAMETERS = {
    "PROLIFIC_PID": "prolific_pid",
    "STUDY_ID": "prolific_study_id",
    "SESSION_ID": "prolific_session_id",
}
#: The participant IDs of Prolific participants: pro00001, … (personal links' are web00001, …).
PROLIFIC_PREFIX = "pro"
#: A completion code as Prolific makes them (letters and digits); it is put into a URL.
COMPLETION_CODE = re.compile(r"^[A-Za-z0-9]{1,64}$")
#: The start page's URL parameters (then its form's fields) carrying the consent given before enrolment, signed.
AGREEMENT, AGREEMENT_SIGNATURE = "agreement", "agreement_sig"
#: The file in the study folder that keeps the forms' signing secret (``study_secret``).
SECRET_NAME = "web-secret"  # noqa: S105 - a file name


@dataclass
class RateLimit:
    """At most ``count`` enrolment attempts (POSTs of a start page) per client address within ``seconds``
    (a sliding window, in this process: with several workers, each keeps its own); ``count`` 0: no limit."""

    count: int = 20
    seconds: float = 60.0
    now: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = dataclass_field(default_factory=dict, repr=False)

    def allows(self, address: str) -> float:
        """0 when an attempt from ``address`` is allowed now (and counted), else the seconds until it will be."""
        if self.count <= 0:
            return 0.0
        now = self.now()
        if len(self._seen) > 10_000:  # forget addresses whose window has passed, so memory stays bounded
            self._seen = {a: q for a, q in self._seen.items() if q and q[-1] > now - self.seconds}
        attempts = self._seen.setdefault(address, deque())
        while attempts and attempts[0] <= now - self.seconds:
            attempts.popleft()
        if len(attempts) >= self.count:
            return max(attempts[0] + self.seconds - now, 0.001)
        attempts.append(now)
        return 0.0


def create_app(
    study,
    *,
    secret: bytes | None = None,
    clock=None,
    prolific: str | None = None,
    rate_limit: RateLimit | None = None,
    kept_pages: int = SIZE,
):
    """The ASGI app serving ``study``'s online sessions. Refuses (ProtocolError), before anyone can enrol, a
    protocol with a step a browser cannot show. ``secret`` signs the forms (every worker of one server must
    share it; default: ``study_secret``, kept in the study folder); ``clock``: a RealClock unless a test moves
    time itself; ``prolific``: the completion code, which opens the general link ``/prolific``;
    ``rate_limit``: of enrolments per client address (default ``RateLimit()``); ``kept_pages``: how many pages'
    fixed parts are kept (``KeptPages``; 0: every page rendered whole). One app per opened study: the app keeps
    sessions until the store says another connection wrote for them (``KeptSessions``)."""
    refuse_unshowable(study.protocol, SCREENS)
    if first_consent(study.protocol) is not None and not study.logs_declines:
        raise StoreError(
            f"{study.folder}'s store was made before a consent declined on a link's first page could be logged, "
            "and this login may not add that; the study's owner adds it by opening the study once "
            "(e.g. `placebolab status`), then start `placebolab serve` again"
        )
    if prolific is not None and not COMPLETION_CODE.match(prolific):
        raise ValueError(f"{prolific!r} is not a Prolific completion code (letters and digits, e.g. C1A2B3C4)")
    secret = secret or study_secret(study.folder)
    web = WebSessions(study, secret, clock or RealClock(), prolific, rate_limit or RateLimit(), kept_pages)
    routes = [
        Route("/s/{token}", web.page, methods=["GET"]),
        Route("/s/{token}/start", web.start, methods=["POST"]),
        Route("/s/{token}/consent", web.consent, methods=["POST"]),
        Route("/s/{token}/step", web.step, methods=["POST"]),
        Route("/s/{token}/media/{name}", web.media, methods=["GET"]),
        Route("/static/style.css", web.stylesheet, methods=["GET"]),
        Route("/static/placebolab.js", web.script, methods=["GET"]),
        Route("/favicon.ico", web.no_icon, methods=["GET"]),
    ]
    if prolific is not None:
        routes += [
            Route("/prolific", web.prolific_page, methods=["GET"]),
            Route("/prolific/start", web.prolific_start, methods=["POST"]),
            Route("/prolific/consent", web.prolific_consent, methods=["POST"]),
        ]
    handlers = {404: web.not_found, 405: web.not_found, 410: web.inactive, Exception: web.failed}
    csp = CSP.replace(b"form-action 'self'", b"form-action 'self' https://app.prolific.com") if prolific else CSP
    app = SecurityHeaders(Starlette(routes=routes, exception_handlers=handlers), csp)
    disk = study.group_commit()  # SQLite: the answers of everyone waiting at once synced together
    return app if disk is None else SyncedResponses(app, disk)


def study_secret(folder: Path) -> bytes:
    """The secret that signs the study's forms, kept in ``folder/web-secret`` (hex, mode 0600): made at the
    first ``serve``, read by every later one and by each worker, so a restart breaks no open page. Two
    servers starting at once end up with the same one (the file is linked into place, never overwritten)."""
    path = Path(folder) / SECRET_NAME
    if not path.exists():
        made = path.with_name(f".{SECRET_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(made, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(made, path)
            except FileExistsError:  # another server made it meanwhile: theirs is the one
                pass
        finally:
            made.unlink()
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)  # copied with looser permissions: only this login may read it
    text = path.read_text().strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise StoreError(
            f"{path} does not hold the web server's secret (64 hex digits); delete it and start `placebolab serve` "
            "again (pages open in participants' browsers then ask them to continue from their link)"
        )
    return bytes.fromhex(text)


def prolific_token(pid: str) -> str:
    """The link token of a Prolific participant: derived from their Prolific ID (43 URL-safe characters, like a
    personal link's), so every visit with that ID finds the same link, whichever worker or secret serves it."""
    digest = hashlib.sha256(f"prolific\n{pid}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class SecurityHeaders:
    """Adds ``HEADERS`` to every response, error pages included (it wraps the whole app)."""

    def __init__(self, app, csp: bytes = CSP):
        self.app = app
        self.headers = [(n, csp if n == b"content-security-policy" else v) for n, v in HEADERS]
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        names = self.names

        async def with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class Visit(NamedTuple):
    """A link's request, as ``WebSessions._visit`` reads the store for it."""

    token: str
    participant: str
    session: Session | None  # None before enrolment
    declined: bool  # before enrolment: the consent asked first was declined


class WebSessions:
    def __init__(
        self, study, secret: bytes, clock, prolific: str | None, rate_limit: RateLimit, kept_pages: int = SIZE
    ):
        self.study, self.secret, self.clock = study, secret, clock
        self.prolific, self.rate_limit = prolific, rate_limit
        #: the consent step every plan begins with: then a link's first page, before enrolment (None: the start page)
        self.first_consent = first_consent(study.protocol)
        files = resources.files("placebolab.frontends.web").joinpath("templates")
        self.css = files.joinpath("style.css").read_bytes()
        self.js = files.joinpath("placebolab.js").read_bytes()
        #: the screens made from a step alone (a questionnaire's questions), by the step's id (``fixed_screen``)
        self._screens: dict[int, tuple[Any, Screen]] = {}
        self.say = catalogue(study.protocol.language)  # every text the pages add, in the protocol's language
        markdown_parser()  # made now, not by the first participant's page (it imports markdown-it)
        #: a link's session, kept from its last request until the store says someone else wrote for it (kept_sessions.py)
        self.kept = KeptSessions(study)
        self.templates = page_templates(self.say)
        #: step pages, each one's fixed part rendered once for everyone who sees it
        self.pages = KeptPages(self.templates, kept_pages)

    # --- routes ------------------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        token, participant, session, declined = self._visit(request)
        if session is None and self.first_consent is None:
            return self._start_page(token, participant, {})
        if session is None:  # consent first, before anything is stored; once declined, the thank-you again
            if declined:
                return self._declined(participant)
            agreed = self._agreed(request.query_params, token)  # agreed: the consent page sent them here
            if agreed is not None:
                return self._start_page(token, participant, {}, agreed=agreed)
            return self._consent_page(token, {})
        finished = session.current() is None and session.declined_at is None  # declining is no completion
        if self.prolific and participant.startswith(PROLIFIC_PREFIX) and finished:
            # read from the store: every answer is committed; Prolific marks the submission complete
            return RedirectResponse(f"{PROLIFIC_COMPLETE}?" + urlencode({"cc": self.prolific}), 303)
        return self._step_page(request, token, session)

    async def start(self, request: Request) -> Response:
        limited = self._limited(request)
        if limited is not None:
            return limited
        form = await posted_form(request)
        token, participant, session, declined = self._visit(request)  # read once the form is in: the state as fresh
        if not self._signed(form.get("csrf"), "start", participant):
            return self._expired(token)
        agreement = None
        if self.first_consent is not None:
            agreement = self._agreement(form, token)
            if agreement is None:  # no consent given on this link (a forged or an old form): the consent page again
                return self._expired(token)
            if declined:
                return self._back(token)  # declined in another tab: the thank-you page
        if session is not None:
            return self._back(token)  # enrolled already (a double click, a second tab): their session
        try:
            return self._enrol(token, participant, form, {}, agreement)
        except StoreError as exc:
            return self._start_refused(exc, token, participant, form, {})

    async def consent(self, request: Request) -> Response:
        """The consent answered on a personal link's first page, before enrolment (``first_consent``)."""
        received = self.clock.now()
        form = await posted_form(request)
        token, participant, session, declined = self._visit(request)  # read once the form is in: the state as fresh
        answered = session is not None or declined
        return self._consent_answered(request, form, token, participant, {}, received, answered)

    async def prolific_consent(self, request: Request) -> Response:
        """The consent answered on Prolific's general link, before enrolment (``first_consent``)."""
        received = self.clock.now()
        form = await posted_form(request)
        ids = self._prolific_ids(form)
        if ids is None:
            return self._bad_prolific_link()
        token = prolific_token(ids["prolific_pid"])
        found = self._found(token)  # None until they decline or enrol
        participant = found.participant if found else None
        answered = found is not None and (found.state is not None or found.declined)
        return self._consent_answered(request, form, token, participant, ids, received, answered)

    async def prolific_page(self, request: Request) -> Response:
        """Prolific's general link: the start page, or the consent page when the protocol begins with one (a GET
        enrols nobody), the session of this Prolific ID, or the thank-you page of one who declined."""
        ids = self._prolific_ids(request.query_params)
        if ids is None:
            return self._bad_prolific_link()
        token = prolific_token(ids["prolific_pid"])
        found = self._found(token)
        participant = found.participant if found else None
        if found is not None:
            if found.state is not None:
                return self._back(token)  # a second visit: their session, never a second enrolment
            if self.first_consent is not None and found.declined:
                return self._declined(found.participant)  # never sent to the completion URL, never enrolled later
        if self.first_consent is None:
            return self._start_page(token, participant or "", {}, prolific=ids)
        agreed = self._agreed(request.query_params, token)  # agreed: the consent page sent them here
        if agreed is None:
            return self._consent_page(token, ids)
        return self._start_page(token, participant or "", {}, prolific=ids, agreed=agreed)

    async def prolific_start(self, request: Request) -> Response:
        limited = self._limited(request)
        if limited is not None:
            return limited
        form = await posted_form(request)
        ids = self._prolific_ids(form)
        if ids is None:
            return self._bad_prolific_link()
        if not self._signed(form.get("csrf"), "prolific", *ids.values()):
            return self._expired(_prolific_path(ids))
        token = prolific_token(ids["prolific_pid"])
        agreement = None
        if self.first_consent is not None:
            agreement = self._agreement(form, token)
            if agreement is None:  # no consent given on this link (a forged or an old form): the consent page again
                return self._expired(_prolific_path(ids))
        try:
            return self._prolific_enrol(token, ids, form, agreement)
        except StoreError as exc:
            return self._start_refused(exc, token, "", form, ids)

    def _prolific_enrol(self, token: str, ids: dict[str, str], form: Any, agreement: dict[str, Any] | None) -> Response:
        given = self._given(form, exclude=ids)
        problems = self._intake_problems(given, exclude=ids)
        if problems:
            return self._start_page(token, "", given, problems, status=400, prolific=ids, agreed=_carried(form))
        known = self._found(token)
        if known is not None and agreement is not None and known.declined:
            return RedirectResponse(_prolific_path(ids), 303)  # declined in another tab: the thank-you page
        if known is not None and known.state is not None:
            return self._back(token)  # a second visit: their session, never a second enrolment
        if known is not None:
            return self._enrol(token, known.participant, form, ids, agreement)
        participant = self.study.claim_link(token, PROLIFIC_PREFIX)  # one per Prolific ID
        self._active(participant)
        return self._enrol(token, participant, form, ids, agreement)

    def _enrol(
        self,
        token: str,
        participant: str,
        form: Any,
        external: dict[str, str],
        agreement: dict[str, Any] | None = None,
    ) -> Response:
        """Enrol and allocate (the start page's POST) a participant the store just said was not enrolled; with
        ``agreement`` (the consent given before enrolment), record it as the session's first step. A store that
        cannot enrol just now raises StoreError (nothing enrolled: the caller shows the page sent again)."""
        given = self._given(form, exclude=external)
        problems = self._intake_problems(given, exclude=external)
        if problems:
            return self._start_page(
                token, participant, given, problems, status=400, prolific=external or None, agreed=_carried(form)
            )
        self.kept.forget(token)  # kept as not enrolled: the session started here is kept instead, else it is read
        try:
            session = Session.start(self.study, participant, given, FRONTEND, self.clock, external=external)
        except AlreadyEnrolled:  # a double click, a second tab: the first POST enrolled them since
            return self._back(token)
        except AllocationError:
            return self._message(self.say("web.full_heading"), self.say("web.full_text"), 503)
        self.kept.keep(token, participant, session)
        if agreement is not None:
            try:
                with self.kept.dropped_on_error(token):
                    self._record_consent(session, agreement)
            except StoreError as exc:  # enrolled: their session's first step, the consent, asks it again
                _log.error("the consent %s gave before enrolment was not recorded (asked again): %s", participant, exc)
        return self._back(token)

    def _start_refused(self, exc: StoreError, token: str, participant: str, form: Any, ids: dict[str, str]) -> Response:
        """The start page again, what was typed kept, when the store could not enrol just now (its log locked, the
        disk full): 503, nothing enrolled, Start to try again; logged on the server's console."""
        _log.error("%s was not enrolled: %s", participant or "a participant of Prolific's general link", exc)
        given = self._given(form, exclude=ids)
        message = self.say("web.not_saved_press", button=self.say("web.start"))
        return self._start_page(
            token, participant, given, message, status=503, prolific=ids or None, agreed=_carried(form)
        )

    def _consent_refused(
        self, exc: StoreError, token: str, participant: str | None, ids: dict[str, str], form: Any, agreed: bool
    ) -> Response:
        """The consent page again, as it was sent, when the store could not enrol (``agreed``, a protocol without
        intake) or log the decline just now: 503, nothing enrolled or logged, the same button to try again; logged."""
        _log.error(
            "the consent %s %s was not recorded: %s",
            participant or "a participant of Prolific's general link",
            "gave" if agreed else "declined",
            exc,
        )
        choice = "agree" if agreed else "decline"
        label = self._screen(self._first_current()).context[choice]  # the protocol's, else None: the catalogue's
        message = self.say("web.not_saved_press", button=label or self.say(f"consent.{choice}"))
        onset = str(form.get("onset", ""))
        return self._consent_page(token, ids, error=message, given=form, onset=onset, status=503)

    def _record_consent(self, session: Session, agreement: dict[str, Any]) -> None:
        """The consent given before enrolment, recorded as the session's first step (a second transaction: if it
        is lost, the session's first step is the consent, asked again)."""
        answered_at = agreement["answered_at"]
        session.submit(
            agreement["key"],
            {"": AGREED},
            agreement["shown_at"],
            answered_at={"": answered_at},
            detail=agreement["detail"],
            completed_at=answered_at,
        )

    def _consent_answered(
        self,
        request: Request,
        form: Any,
        token: str,
        participant: str | None,
        ids: dict[str, str],
        received: float,
        answered: bool,
    ) -> Response:
        """Agreed: on to the intake (303 to the link, its address carrying the agreement, signed, for the start
        page's form to carry on: a reload posts nothing), or enrolled at once without one.
        Declined: logged (``Store.decline_consent``), nothing enrolled, and the link shows the thank-you page.
        ``answered``: the link's participant enrolled or declined already."""
        back = _prolific_path(ids) if ids else f"/s/{token}"
        key, onset = str(form.get("key", "")), str(form.get("onset", ""))
        first = self.first_consent
        signed = self._signed(form.get("csrf"), "consent", token, key, onset, *ids.values())
        if first is None or key != first.key or not signed:
            return self._expired(back)
        if answered:
            return RedirectResponse(back, 303)  # answered already (another tab): the link shows where they are
        current = self._first_current()
        screen = self._screen(current)
        refused = form_problem(screen, form)
        if refused:
            error = self.say.words(refused)
            return self._consent_page(token, ids, error=error, given=form, onset=onset, status=400)
        shown_at, now = _float(onset), self.clock.now()
        if current.step.declines(form_values(screen, current, form)):
            try:
                return self._declined_first(request, token, participant, current, (shown_at, now), back)
            except StoreError as exc:  # nothing logged: the consent page again, to decline again
                return self._consent_refused(exc, token, participant, ids, form, agreed=False)
        detail = {**read_report(form.get("client"), current, received).detail, **form_detail(screen, form)}
        agreement = {"key": key, "shown_at": shown_at, "answered_at": round(now, 3), "detail": detail}
        if any(f.id not in ids for f in self.study.protocol.intake):
            agreed = urlencode(self._sign_agreement(token, agreement))
            return RedirectResponse(f"{back}&{agreed}" if ids else f"{back}?{agreed}", 303)
        limited = self._limited(request)  # no intake to ask: this POST enrols
        if limited is not None:
            return limited
        try:
            if ids:
                return self._prolific_enrol(token, ids, form, agreement)
            return self._enrol(token, participant or "", form, {}, agreement)
        except StoreError as exc:
            return self._consent_refused(exc, token, participant, ids, form, agreed=True)

    def _declined_first(
        self,
        request: Request,
        token: str,
        participant: str | None,
        current: Current,
        times: tuple[float, float],
        back: str,
    ) -> Response:
        """Log a consent declined before enrolment (``times``: shown, answered), then back to the link, which
        shows the thank-you page from then on."""
        limited = self._limited(request)  # it writes (and on Prolific's general link, makes a participant ID)
        if limited is not None:
            return limited
        if participant is None:
            participant = self.study.claim_link(token, PROLIFIC_PREFIX)
            self._active(participant)
        self.kept.forget(token)  # kept as not enrolled: declined from now on
        detail = {
            "step": current.key,
            **current.step.stored_detail(self.study.protocol.files),  # consent_sha256
            "shown_at": times[0],
            "answered_at": round(times[1], 3),
        }
        try:
            self.study.decline_consent(participant, detail)
        except AlreadyEnrolled:  # enrolled a moment ago in another tab: their consent step asks again
            pass
        return RedirectResponse(back, 303)

    def _given(self, form: Any, exclude: dict[str, str]) -> dict[str, str]:
        return {
            f.id: str(form[f.id]).strip() for f in self.study.protocol.intake if f.id not in exclude and form.get(f.id)
        }

    def _prolific_ids(self, values: Any) -> dict[str, str] | None:
        """Prolific's IDs from the general link's parameters (or its start page's form), by intake name; None
        when the participant's ID is missing or malformed, or another ID is malformed."""
        ids = {}
        for parameter, name in PROLIFIC_PARAMETERS.items():
            value = str(values.get(parameter) or "").strip().lower()
            if value:
                if not PROLIFIC_ID.match(value):
                    return None
                ids[name] = value
        return ids if "prolific_pid" in ids else None

    def _bad_prolific_link(self) -> Response:
        return self._message(self.say("web.bad_link_heading"), self.say("web.bad_link_text"), 400)

    def _limited(self, request: Request) -> Response | None:
        """A 429 page when the client's address has used up its enrolment attempts (``RateLimit``), else None."""
        wait = self.rate_limit.allows(request.client.host if request.client else "")
        if not wait:
            return None
        waiting = _about(wait, self.say)
        response = self._message(self.say("web.limited_heading"), self.say("web.limited_text", waiting=waiting), 429)
        response.headers["retry-after"] = str(math.ceil(wait))
        return response

    async def step(self, request: Request) -> Response:
        received = self.clock.now()
        form = await posted_form(request)
        token, participant, session, _ = self._visit(request)  # read once the form is in: the state as fresh
        key, onset = str(form.get("key", "")), str(form.get("onset", ""))
        if not self._signed(form.get("csrf"), "step", participant, key, onset):
            return self._expired(token)
        current = session.current() if session else None
        now = self.clock.now()
        if session is None or current is None or current.key != key or _not_due(current, now):
            return self._back(token)  # stale (back button, double submit): nothing is recorded twice
        screen = self._screen(current)
        shown_at = float(onset)
        report = read_report(form.get("client"), current, received)
        unplayable = screen.plays and report.error is not None  # the browser said why: recorded, not waited for
        if screen.minimum and now < shown_at + screen.minimum and not unplayable:
            if screen.hold:  # its page showed no button yet (a replayed form): back to that page
                return RedirectResponse(f"/s/{token}?" + urlencode({"onset": onset, "sig": form["csrf"]}), 303)
            message = self.say("web.watch_to_end")
            return self._step_page(request, token, session, error=message, given=form, onset=onset, status=400)
        if screen.plays and report.scripted and not (report.ended or unplayable):
            message = self.say("web.watch_to_end")
            return self._step_page(request, token, session, error=message, given=form, onset=onset, status=400)
        refused = form_problem(screen, form)
        if refused:
            message = self.say.words(refused)
            return self._step_page(request, token, session, error=message, given=form, onset=onset, status=400)
        try:
            detail = {**report.detail, **form_detail(screen, form)}
            with self.kept.dropped_on_error(token):
                session.submit(key, form_values(screen, current, form), shown_at, detail=detail)
        except SessionError:
            message = self.say("web.answer_every_question")
            return self._step_page(request, token, session, error=message, given=form, onset=onset, status=400)
        except StoreError as exc:
            if not self._recorded_meanwhile(participant, key):  # else another tab's worker won: nothing changed
                # the store refused for now (its log locked, the disk full): the page again, the answers kept
                _log.error("step %s of %s was not recorded: %s", key, participant, exc)
                message = self.say("web.not_saved")
                return self._step_page(request, token, session, error=message, given=form, onset=onset, status=503)
        return self._back(token)

    def _recorded_meanwhile(self, participant: str, key: str) -> bool:
        """Whether step ``key`` is no longer the participant's current one: the same form sent from two tabs
        reached two workers, and the other one recorded it (the store refuses this one however it sees it:
        a step already recorded, or a session completed by it)."""
        session = Session.open(self.study, participant, FRONTEND, self.clock)
        position = session.position if session is not None else None
        return position is None or position.key != key

    async def media(self, request: Request) -> Response:
        token, participant, session, _ = self._visit(request)
        current = session.current() if session else None
        if current is None or current.media is None or _not_due(current, self.clock.now()):
            raise HTTPException(404)
        if not hmac.compare_digest(request.path_params["name"], self._media_name(participant, current)):
            raise HTTPException(404)
        path = current.media.path
        return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css")

    async def script(self, request: Request) -> Response:
        return Response(self.js, media_type="text/javascript")

    async def no_icon(self, request: Request) -> Response:
        return Response(status_code=204)  # browsers ask for one on every page; a 404 would fill their console

    async def inactive(self, request: Request, exc: Exception) -> Response:
        return self._message(self.say("web.inactive_heading"), self.say("web.inactive_text"), 410)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self._message(self.say("web.not_found_heading"), self.say("web.not_found_text"), 404)

    async def failed(self, request: Request, exc: Exception) -> Response:
        return self._message(self.say("web.failed_heading"), self.say("web.failed_text"), 500)

    def _intake_problems(self, given: dict[str, str], exclude: dict[str, str]) -> str | None:
        """What is wrong with the start page's answers, by each field's label; None when all are right
        (``exclude``: fields not asked, e.g. Prolific's IDs, which the engine checks)."""
        problems = []
        for field in self.study.protocol.intake:
            if field.id in exclude:
                continue
            name = field.label or field.id
            if field.id not in given:
                problems.append(f"{name}: {self.say('intake.needed')}")
                continue
            try:
                field.check(given[field.id])
            except ValueError as exc:
                problems.append(f"{name}: {self.say.problem(exc)}")
        return "; ".join(problems) or None

    # --- pages -------------------------------------------------------------------------------------

    def _start_page(
        self,
        token: str,
        participant: str,
        given: dict,
        error: str | None = None,
        status: int = 200,
        prolific: dict[str, str] | None = None,
        agreed: dict[str, str] | None = None,
    ):
        """The start page; with ``prolific`` (the general link's IDs), its form goes to ``/prolific/start``
        and carries them, signed, and does not ask the intake fields they fill. ``agreed``: the consent given
        on the page before (``_sign_agreement``), carried by the form to the enrolment."""
        fields = [f for f in self.study.protocol.intake if not prolific or f.id not in prolific]
        context = {"fields": fields, "given": given, "error": error}
        if prolific:
            return self._render(
                "start.html.j2",
                action="/prolific/start",
                hidden=_prolific_fields(prolific) | (agreed or {}),
                csrf=self._sign("prolific", *prolific.values()),
                status=status,
                **context,
            )
        return self._render(
            "start.html.j2",
            action=f"/s/{token}/start",
            hidden=agreed or {},
            csrf=self._sign("start", participant),
            status=status,
            **context,
        )

    def _consent_page(
        self,
        token: str,
        ids: dict[str, str],
        *,
        error: str | None = None,
        given: Any = None,
        onset: str | None = None,
        status: int = 200,
    ) -> Response:
        """The consent step as a link's first page, before enrolment (the consent step's own page, its form sent
        to ``…/consent``): ``ids``, Prolific's, carried by the form, or {} on a personal link."""
        current = self._first_current()
        onset = onset or f"{self.clock.now():.3f}"
        csrf = self._sign("consent", token, current.key, onset, *ids.values())
        screen = self._screen(current)
        context = self._screen_context(token, current, screen, onset, csrf, error, given)
        context |= {"action": "/prolific/consent" if ids else f"/s/{token}/consent", "hidden": _prolific_fields(ids)}
        if error is not None or given is not None or ids:  # Prolific's IDs in its form: the participant's own
            return self._render(screen.template, status=status, **context)
        return self._kept_page(current, screen, context, status)

    def _first_current(self) -> Current:
        """The first consent step as the engine would show it (its text is the same for every cell and intake)."""
        if self.first_consent is None:
            raise InternalError("only a protocol whose plans begin with a consent step asks it before enrolment")
        step = self.first_consent.step
        return Current(self.first_consent, None, step.render(self.study.protocol.files, {}), None)

    def _declined(self, participant: str) -> Response:
        """The thank-you page of a participant who declined consent (never sent to Prolific's completion URL)."""
        text = self.say("web.declined_text")
        if participant.startswith(PROLIFIC_PREFIX):  # not sent to the completion URL: no payment claim
            text += " " + self.say("web.declined_prolific")
        return self._message(self.say("web.declined_heading"), text, 200)

    def _screen(self, current: Current) -> Screen:
        return fixed_screen(current, self._screens)

    def _screen_context(
        self, token: str, current: Current, screen: Screen, onset: str, csrf: str, error: str | None, given: Any
    ) -> dict[str, Any]:
        return {
            "token": token,
            "key": current.key,
            "onset": onset,
            "csrf": csrf,
            "title": current.step.title,
            "error": error,
            "given": given or {},
            **screen.context,
        }

    def _step_page(
        self,
        request: Request,
        token: str,
        session: Session,
        *,
        error: str | None = None,
        given: Any = None,
        onset: str | None = None,
        status: int = 200,
    ) -> Response:
        current = session.current()
        if current is None and session.declined_at is not None:
            return self._declined(session.participant.id)
        if current is None:
            return HTMLResponse(self.pages.render("done.html.j2", {}))
        participant, now = session.participant.id, self.clock.now()
        if _not_due(current, now):
            if current.not_before is None:
                raise InternalError("a step that is not due yet is a scheduled one")
            left = current.not_before - now
            refresh = {"seconds": math.ceil(min(left, 300)), "left": math.ceil(left)}
            coming = coming_next(current.step, self.say)  # its title, never its key
            return self._render("wait.html.j2", waiting=_about(left, self.say), refresh=refresh, coming=coming)
        signed = onset or self._onset(request, participant, current.key, now)
        onset = signed or f"{now:.3f}"
        csrf = self._sign("step", participant, current.key, onset)
        screen = self._screen(current)
        here = f"/s/{token}?" + urlencode({"onset": onset, "sig": csrf})
        if signed is None and screen.minimum:
            # its first showing: its wait, and the onset stored, count from now; the address the browser then shows
            # (and reloads, F5) carries that onset, signed, so a reload neither starts the wait over nor moves it
            return RedirectResponse(here, 303)
        context = self._screen_context(token, current, screen, onset, csrf, error, given)
        if screen.hold and now < float(onset) + screen.hold:
            left = float(onset) + screen.hold - now
            context |= {
                "waiting": _about(left, self.say),
                "refresh": {"seconds": math.ceil(left), "left": math.ceil(left), "url": here},
            }
        if "pages" in context:  # a text or script step: one page per request; the last one commits the step
            pages = context["pages"]
            index = min(_int(request.query_params.get("page")), len(pages) - 1)
            context["page"] = pages[index]
            if index + 1 < len(pages):
                context["next_page"] = here + f"&page={index + 1}"
        if current.media is not None:
            context["media_url"] = f"/s/{token}/media/{self._media_name(participant, current)}"
        if error is not None or given is not None or "refresh" in context:  # what was given, a countdown: the visit's
            return self._render(screen.template, status=status, **context)
        return self._kept_page(current, screen, context, status)

    def _kept_page(self, current: Current, screen: Screen, context: dict[str, Any], status: int) -> Response:
        """A step's page with its fixed part rendered once (``KeptPages``); a screen made from the step alone is kept
        (``fixed_screen``) and stands for its values."""
        kept = screen if current.step.type in FIXED else None
        return HTMLResponse(self.pages.render(screen.template, context, kept), status_code=status)

    def _message(self, heading: str, message: str, status: int, again: str | None = None) -> Response:
        # an error (status 400 or more) says nothing of where the link stands: the page script keeps what was entered
        return self._render(
            "message.html.j2", heading=heading, message=message, again=again, error_page=status >= 400, status=status
        )

    def _expired(self, token: str) -> Response:
        """``token``: the link's (or a path of this site to go back to)."""
        back = token if token.startswith("/") else f"/s/{token}"
        return self._message(self.say("web.expired_heading"), self.say("web.expired_text"), 403, back)

    def _render(self, template: str, status: int = 200, **context: Any) -> Response:
        return HTMLResponse(self.templates.get_template(template).render(**context), status_code=status)

    def _back(self, token: str) -> Response:
        return RedirectResponse(f"/s/{token}", status_code=303)

    # --- links, signatures -------------------------------------------------------------------------

    def _visit(self, request: Request) -> Visit:
        """The link's token, its participant ID and session (None before enrolment) and, before enrolment, whether
        they declined the consent asked first, from one read of the store, or kept from the link's last request
        (``KeptSessions``); 404 for anything else (nothing says why), 410 for a participant who withdrew."""
        token = request.path_params["token"]
        kept = self.kept.get(token)
        if kept is not None:
            return Visit(token, *kept, declined=False)
        found = self._found(token) if TOKEN.match(token) else None
        if found is None:
            raise HTTPException(404)
        if found.state is None:
            if not found.declined:  # a declined link's thank-you page is rare: read each time
                self.kept.keep(token, found.participant, None)
            return Visit(token, found.participant, None, found.declined)
        session = Session(self.study, found.state, FRONTEND, self.clock)
        self.kept.keep(token, found.participant, session)
        return Visit(token, found.participant, session, declined=False)

    def _found(self, token: str) -> Link | None:
        """``Study.link``: what the store holds of the link ``token`` (None: no link has it); 410 for a
        participant who withdrew."""
        found = self.study.link(token)
        if found is not None and found.correction == "withdrawn":
            raise HTTPException(410)
        return found

    def _active(self, participant: str) -> None:
        """410 (a neutral "no longer active" page) once the participant's latest correction is a withdrawal."""
        if not self.study.link_active(participant):
            raise HTTPException(410)

    def _sign(self, *parts: str) -> str:
        return hmac.new(self.secret, "\n".join(parts).encode(), hashlib.sha256).hexdigest()

    def _signed(self, signature: Any, *parts: str) -> bool:
        return isinstance(signature, str) and hmac.compare_digest(signature, self._sign(*parts))

    def _sign_agreement(self, token: str, agreement: dict[str, Any]) -> dict[str, str]:
        """The consent given before enrolment as the start page's URL parameters (then its form's hidden fields),
        signed for this link: an enrolment POST without them, or with them changed, is refused (``_agreement``)."""
        text = base64.urlsafe_b64encode(json.dumps(agreement, sort_keys=True).encode()).decode()
        return {AGREEMENT: text, AGREEMENT_SIGNATURE: self._sign("agreement", token, text)}

    def _agreed(self, values: Any, token: str) -> dict[str, str] | None:
        """The agreement a start page's address carries (``values``: its query), signed for this link, as the
        fields its form carries on to the enrolment; None without a valid one (then the consent is asked)."""
        return _carried(values) if self._agreement(values, token) is not None else None

    def _agreement(self, form: Any, token: str) -> dict[str, Any] | None:
        """The consent this link's participant gave before enrolment, as the form carries it; None when the form
        carries none, or one not signed for this link, or for another consent step."""
        text = form.get(AGREEMENT)
        if not isinstance(text, str) or not self._signed(form.get(AGREEMENT_SIGNATURE), "agreement", token, text):
            return None
        agreement = json.loads(base64.urlsafe_b64decode(text))  # signed here: as _sign_agreement wrote it
        if self.first_consent is None or agreement.get("key") != self.first_consent.key:
            return None  # signed for a protocol whose first step was another (a study served anew)
        return agreement

    def _onset(self, request: Request, participant: str, key: str, now: float) -> str | None:
        """When the step was first shown: the onset a page of it signed (a reload, the next page of a text,
        a pause's own refresh); None when the address carries none (its first showing)."""
        onset, signature = request.query_params.get("onset", ""), request.query_params.get("sig")
        if self._signed(signature, "step", participant, key, onset) and _float(onset) <= now:
            return onset
        return None

    def _media_name(self, participant: str, current: Current) -> str:
        """An opaque name for the step's file, different for every participant and step."""
        if current.media is None:
            raise InternalError("a media step comes with its file (Session._media)")
        return self._sign("media", participant, current.key)[:32] + current.media.path.suffix.lower()


def page_templates(say: Catalogue) -> Environment:
    """The pages' templates, each compiled now (not by the first requests), with their globals: ``t("continue")``
    and ``t.language`` (``say``), ``t_html`` (a text with markup put in), ``honeypot`` and ``options``."""
    templates = Environment(  # auto_reload off: the shipped templates do not change while serving
        loader=PackageLoader("placebolab.frontends.web", "templates"), autoescape=True, auto_reload=False
    )
    templates.globals.update(t=say, t_html=html_words(say), honeypot=HONEYPOT)
    templates.globals["options"] = KeptOptions(templates.get_template("_options.html.j2").module.options)  # type: ignore[attr-defined]
    for name in templates.list_templates(extensions=["j2"]):
        templates.get_template(name)
    return templates


class KeptOptions:
    """``options(question, chosen)`` for the templates: a question's radio options (``_options.html.j2``),
    ``chosen`` checked. With none checked (every page but one shown again with its answers) they are kept: the
    question is the frozen step's (``fixed_screen``), the same for every participant, and a scale of 11 points
    is 11 options to render."""

    def __init__(self, macro: Callable[[Question, Any], Markup]):
        self._macro = macro
        self._kept: dict[int, tuple[Question, Markup]] = {}  # by the question's id, the question kept with it

    def __call__(self, question: Question, chosen: Any) -> Markup:
        if chosen is not None:
            return self._macro(question, chosen)
        if len(self._kept) > 4096:  # a protocol has far fewer: bounded should a screen make new ones
            self._kept.clear()
        return kept_for(self._kept, question, lambda: self._macro(question, None))


#: A POSTed form's limits, those of Starlette's parser (``Request.form``): its fields, and its size (one field's there)
FORM_FIELDS, FORM_BYTES = 1000, 1024 * 1024


async def posted_form(request: Request) -> FormData:
    """The form a page posted. Every form of these pages is urlencoded: read by the standard library's
    ``parse_qsl`` as Starlette's parser reads one (names and values latin-1, then percent- and plus-decoded as
    UTF-8), at a fraction of its cost; any other kind by Starlette. Too large a form is refused (400) as there."""
    if request.headers.get("content-type", "").partition(";")[0].strip() != "application/x-www-form-urlencoded":
        return await request.form()
    body = await request.body()
    if len(body) > FORM_BYTES:
        raise HTTPException(400, "the form is too large")
    try:
        fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True, max_num_fields=FORM_FIELDS)
    except ValueError:  # more fields than FORM_FIELDS
        raise HTTPException(400, "the form has too many fields") from None
    return FormData(cast(list[tuple[str, str | UploadFile]], fields))


def first_consent(protocol) -> Occurrence | None:
    """The consent step that every cell's plan begins with (the same in each: a consent step is never restricted
    to cells), which a link then asks before enrolment; None when some plan begins otherwise (or has no step)."""
    firsts = [plan[0] if plan else None for plan in protocol.plans.values()]
    first = firsts[0] if firsts else None
    if first is None or first.step.type != "consent" or any(f is None or f.key != first.key for f in firsts):
        return None
    return first


def _prolific_fields(ids: dict[str, str]) -> dict[str, str]:
    """Prolific's IDs (by intake name) as the form fields (URL parameters) that carry them."""
    names = {name: parameter for parameter, name in PROLIFIC_PARAMETERS.items()}
    return {names[name]: value for name, value in ids.items()}


def _prolific_path(ids: dict[str, str]) -> str:
    """Prolific's general link of these IDs (by intake name)."""
    return "/prolific?" + urlencode(_prolific_fields(ids))


def _carried(form: Any) -> dict[str, str] | None:
    """The agreement a start page's form carried (``_sign_agreement``), to carry again when it is shown anew."""
    fields = {name: form.get(name) for name in (AGREEMENT, AGREEMENT_SIGNATURE)}
    return {k: str(v) for k, v in fields.items()} if all(isinstance(v, str) for v in fields.values()) else None


def _not_due(current: Current, now: float) -> bool:
    return current.not_before is not None and current.not_before > now


def _about(seconds: float, say: Catalogue) -> str:
    if seconds < 90:
        return say("web.seconds", n=max(1, math.ceil(seconds)))
    return say("web.minutes", n=math.ceil(seconds / 60))


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 6 else 0


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.inf


def html_words(say: Catalogue) -> Callable[..., Markup]:
    """``t_html(key, name=value)`` for the templates: the catalogue's text escaped, with each value put in where
    its placeholder stands: markup the template made as it is (e.g. a countdown's ``<span>``), text escaped."""

    def t_html(key: str, /, **markup: Any) -> Markup:
        marks = {name: f"\x00{name}\x00" for name in markup}
        text = str(escape(say(key, **marks)))
        for name, value in markup.items():
            text = text.replace(marks[name], str(escape(value)))
        return Markup(text)  # noqa: S704 - escaped above, and each value: Markup is kept, text escaped

    return t_html
