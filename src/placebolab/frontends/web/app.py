"""The web frontend: a Starlette app that shows each participant, at their personal link, their current step.

One step per request. ``GET /s/TOKEN`` shows the start page (nothing is enrolled by a GET: link scanners
and previews issue GETs), then the current step (the engine's ``current()``), a waiting page for a
scheduled step not yet due, or the completion page. ``POST /s/TOKEN/start`` enrols (the intake from the
start page's form; allocation happens here, through ``Session.start`` as at the console) and ``POST
/s/TOKEN/step`` commits the current step, then redirects (303) back to the GET. The state is the store's:
a reload, a closed tab or another device with the same link shows the first unanswered step; a stale form
(the back button, a double click) names a step that is no longer current and records nothing.

Every form carries a token the server signed (HMAC with the app's secret) over the participant, the step
key and the onset (when the page was first shown): it is the CSRF check, and it keeps the onset honest.
Media are served under names signed for the participant and step, never their file's (nor a cell's) name.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import mimetypes
import re
import secrets
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from placebolab.components.catalogue import Catalogue, catalogue
from placebolab.errors import AllocationError, AlreadyEnrolled, InternalError, SessionError, StoreError
from placebolab.frontends.base import refuse_unshowable
from placebolab.frontends.web.screens import SCREENS, answers, screen_for
from placebolab.session import Current, RealClock, Session

FRONTEND = "web"
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


def create_app(study, *, secret: bytes | None = None, clock=None):
    """The ASGI app serving ``study``'s online sessions. Refuses (ProtocolError), before anyone can enrol, a
    protocol with a step a browser cannot show. ``secret`` signs the forms (every worker of one server must
    share it; default: new random bytes); ``clock``: a RealClock unless a test moves time itself."""
    refuse_unshowable(study.protocol, SCREENS)
    web = WebSessions(study, secret or secrets.token_bytes(32), clock or RealClock())
    routes = [
        Route("/s/{token}", web.page, methods=["GET"]),
        Route("/s/{token}/start", web.start, methods=["POST"]),
        Route("/s/{token}/step", web.step, methods=["POST"]),
        Route("/s/{token}/media/{name}", web.media, methods=["GET"]),
        Route("/static/style.css", web.stylesheet, methods=["GET"]),
    ]
    handlers = {404: web.not_found, 405: web.not_found, Exception: web.failed}
    return SecurityHeaders(Starlette(routes=routes, exception_handlers=handlers))


class SecurityHeaders:
    """Adds ``HEADERS`` to every response, error pages included (it wraps the whole app)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        names = {name for name, _ in HEADERS}

        async def with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                message = {**message, "headers": kept + HEADERS}
            await send(message)

        await self.app(scope, receive, with_headers)


class WebSessions:
    def __init__(self, study, secret: bytes, clock):
        self.study, self.secret, self.clock = study, secret, clock
        self.templates = Environment(loader=PackageLoader("placebolab.frontends.web", "templates"), autoescape=True)
        self.css = resources.files("placebolab.frontends.web").joinpath("templates/style.css").read_bytes()
        self.say = catalogue(study.protocol.language)  # every text the pages add, in the protocol's language
        self.templates.globals["t"] = self.say  # templates: {{ t("continue") }}, <html lang="{{ t.language }}">

    # --- routes ------------------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        token, participant = self._link(request)
        session = Session.open(self.study, participant, FRONTEND, self.clock)
        if session is None:
            return self._start_page(token, participant, {})
        return self._step_page(request, token, session)

    async def start(self, request: Request) -> Response:
        token, participant = self._link(request)
        form = await request.form()
        if not self._signed(form.get("csrf"), "start", participant):
            return self._expired(token)
        if Session.open(self.study, participant, FRONTEND, self.clock) is None:
            given = {f.id: str(form[f.id]).strip() for f in self.study.protocol.intake if form.get(f.id)}
            problems = self._intake_problems(given)
            if problems:
                return self._start_page(token, participant, given, problems, status=400)
            try:
                Session.start(self.study, participant, given, FRONTEND, self.clock)
            except AlreadyEnrolled:  # a double click: the first POST enrolled them
                pass
            except AllocationError:
                return self._message(self.say("web.full_heading"), self.say("web.full_text"), 503)
        return self._back(token)

    async def step(self, request: Request) -> Response:
        token, participant = self._link(request)
        form = await request.form()
        key, onset = str(form.get("key", "")), str(form.get("onset", ""))
        if not self._signed(form.get("csrf"), "step", participant, key, onset):
            return self._expired(token)
        session = Session.open(self.study, participant, FRONTEND, self.clock)
        current = session.current() if session else None
        now = self.clock.now()
        if session is None or current is None or current.key != key or _not_due(current, now):
            return self._back(token)  # stale (back button, double submit): nothing is recorded twice
        screen = screen_for(current)
        shown_at = float(onset)
        if screen.minimum and now < shown_at + screen.minimum:
            if screen.hold:  # its page showed no button yet (a replayed form): back to that page
                return RedirectResponse(f"/s/{token}?" + urlencode({"onset": onset, "sig": form["csrf"]}), 303)
            message = self.say("web.watch_to_end")
            return self._step_page(request, token, session, error=message, given=form, onset=onset, status=400)
        try:
            session.submit(key, answers(current, form), shown_at)
        except SessionError:
            message = self.say("web.answer_every_question")
            return self._step_page(request, token, session, error=message, given=form, onset=onset, status=400)
        except StoreError as exc:
            if "already recorded" not in str(exc):  # another worker committed it a moment ago: nothing changed
                raise
        return self._back(token)

    async def media(self, request: Request) -> Response:
        token, participant = self._link(request)
        session = Session.open(self.study, participant, FRONTEND, self.clock)
        current = session.current() if session else None
        if current is None or current.media is None or _not_due(current, self.clock.now()):
            raise HTTPException(404)
        if not hmac.compare_digest(request.path_params["name"], self._media_name(participant, current)):
            raise HTTPException(404)
        path = current.media.path
        return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css")

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self._message(self.say("web.not_found_heading"), self.say("web.not_found_text"), 404)

    async def failed(self, request: Request, exc: Exception) -> Response:
        return self._message(self.say("web.failed_heading"), self.say("web.failed_text"), 500)

    def _intake_problems(self, given: dict[str, str]) -> str | None:
        """What is wrong with the start page's answers, by each field's label; None when all are right."""
        problems = []
        for field in self.study.protocol.intake:
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

    def _start_page(self, token: str, participant: str, given: dict, error: str | None = None, status: int = 200):
        context = {"fields": self.study.protocol.intake, "given": given, "error": error}
        return self._render(
            "start.html.j2", token=token, csrf=self._sign("start", participant), status=status, **context
        )

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
        if current is None:
            return self._render("done.html.j2")
        participant, now = session.participant.id, self.clock.now()
        if _not_due(current, now):
            if current.not_before is None:
                raise InternalError("a step that is not due yet is a scheduled one")
            left = current.not_before - now
            waiting = _about(left, self.say)
            return self._render("wait.html.j2", waiting=waiting, refresh={"seconds": math.ceil(min(left, 300))})
        onset = onset or self._onset(request, participant, current.key, now)
        csrf = self._sign("step", participant, current.key, onset)
        screen = screen_for(current)
        context: dict[str, Any] = {
            "token": token,
            "key": current.key,
            "onset": onset,
            "csrf": csrf,
            "title": current.step.title,
            "error": error,
            "given": given or {},
            **screen.context,
        }
        here = f"/s/{token}?" + urlencode({"onset": onset, "sig": csrf})
        if screen.hold and now < float(onset) + screen.hold:
            left = float(onset) + screen.hold - now
            context |= {"waiting": _about(left, self.say), "refresh": {"seconds": math.ceil(left), "url": here}}
        if "pages" in context:  # a text or script step: one page per request; the last one commits the step
            pages = context["pages"]
            index = min(_int(request.query_params.get("page")), len(pages) - 1)
            context["page"] = pages[index]
            if index + 1 < len(pages):
                context["next_page"] = here + f"&page={index + 1}"
        if current.media is not None:
            context["media_url"] = f"/s/{token}/media/{self._media_name(participant, current)}"
        return self._render(screen.template, status=status, **context)

    def _message(self, heading: str, message: str, status: int, again: str | None = None) -> Response:
        return self._render("message.html.j2", heading=heading, message=message, again=again, status=status)

    def _expired(self, token: str) -> Response:
        return self._message(self.say("web.expired_heading"), self.say("web.expired_text"), 403, f"/s/{token}")

    def _render(self, template: str, status: int = 200, **context: Any) -> Response:
        return HTMLResponse(self.templates.get_template(template).render(**context), status_code=status)

    def _back(self, token: str) -> Response:
        return RedirectResponse(f"/s/{token}", status_code=303)

    # --- links, signatures -------------------------------------------------------------------------

    def _link(self, request: Request) -> tuple[str, str]:
        """The link's token and its participant ID; 404 for anything else (nothing says why)."""
        token = request.path_params["token"]
        participant = self.study.link_participant(token) if TOKEN.match(token) else None
        if participant is None:
            raise HTTPException(404)
        return token, participant

    def _sign(self, *parts: str) -> str:
        return hmac.new(self.secret, "\n".join(parts).encode(), hashlib.sha256).hexdigest()

    def _signed(self, signature: Any, *parts: str) -> bool:
        return isinstance(signature, str) and hmac.compare_digest(signature, self._sign(*parts))

    def _onset(self, request: Request, participant: str, key: str, now: float) -> str:
        """When the step was first shown: the onset a page of it signed (a reload, the next page of a text,
        a pause's own refresh), else now."""
        onset, signature = request.query_params.get("onset", ""), request.query_params.get("sig")
        if self._signed(signature, "step", participant, key, onset) and _float(onset) <= now:
            return onset
        return f"{now:.3f}"

    def _media_name(self, participant: str, current: Current) -> str:
        """An opaque name for the step's file, different for every participant and step."""
        if current.media is None:
            raise InternalError("a media step comes with its file (Session._media)")
        return self._sign("media", participant, current.key)[:32] + current.media.path.suffix.lower()


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
