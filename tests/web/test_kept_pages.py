"""Step pages whose fixed part the server renders once (``KeptPages``) are byte for byte the pages rendered whole:
for every protocol the web can show and the test protocols, every page of several participants (in different cells,
with different intakes and onsets) is compared with the same request to a server that renders every page whole;
a page holds no other participant's link, form token or media name; a page shown again with an error shows what
was given; a template that changes a visit's value is refused; the pages kept are bounded."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from jinja2 import DictLoader, Environment
from markupsafe import Markup
from starlette.testclient import TestClient

from placebolab.components.catalogue import catalogue
from placebolab.errors import InternalError
from placebolab.frontends.base import unshowable
from placebolab.frontends.web.app import create_app
from placebolab.frontends.web.kept_pages import KeptPages
from placebolab.frontends.web.screens import SCREENS
from placebolab.protocol import load_protocol
from placebolab.session import VirtualClock
from placebolab.study import Study
from tests.conftest import ROOT
from tests.consent.protocols import PROTOCOL as CONSENT_PROTOCOL
from tests.consent.protocols import write_consent_protocol
from tests.frontends.german import german_protocol

from .conftest import Page, answered, online_protocol, online_vas_protocol

SECRET = b"p" * 32
PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))
WITH_INTAKE = CONSENT_PROTOCOL.replace(
    "timeline:\n",
    "intake:\n  - {id: sex, type: choice, label: Sex, choices: [female, male]}\n"
    "  - {id: name, type: text, label: Name}\ntimeline:\n",
)
FIXTURES = {
    "online": online_protocol,
    "online-vas": online_vas_protocol,
    "german": lambda tmp_path: german_protocol(tmp_path / "de", media=True),
    "german-consent": lambda tmp_path: german_protocol(tmp_path / "de", media=True, consent=True),
    "consent": lambda tmp_path: write_consent_protocol(tmp_path / "consent"),
    "consent-intake": lambda tmp_path: write_consent_protocol(tmp_path / "consent", WITH_INTAKE),
}


@dataclass
class Visits:
    """A study served twice on one clock: its pages kept (``kept``) and rendered whole (``whole``)."""

    study: Study
    clock: VirtualClock
    kept: TestClient
    whole: TestClient
    #: by link token: the pages served to it (url, html), and the form tokens and media names it was given
    pages: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    own: dict[str, set[str]] = field(default_factory=dict)

    def get(self, token: str, url: str):
        """GET ``url`` from both servers: the same status, headers and bytes."""
        response, expected = self.kept.get(url), self.whole.get(url)
        assert response.status_code == expected.status_code, url
        assert response.content == expected.content, f"{url} differs from the page rendered whole"
        assert response.headers == expected.headers, url
        self.pages.setdefault(token, []).append((url, response.text))
        given = set(re.findall(r'name="csrf" value="([0-9a-f]+)"', response.text))
        given |= set(re.findall(r"sig=([0-9a-f]+)", response.text + response.headers.get("location", "")))
        given |= set(re.findall(r"/media/([0-9a-f]+)\.", response.text))
        self.own.setdefault(token, {token}).update(given)
        return response


@pytest.fixture
def visits(tmp_path):
    def serve(protocol_path) -> Visits:
        Study.init(protocol_path, tmp_path / "study", seed=3).close()
        # each server opens the study as its own process would (a worker keeps its sessions while no other
        # connection writes: kept_sessions.py)
        studies = [Study.open(tmp_path / "study", writing=True, any_thread=True) for _ in range(2)]
        opened.extend(studies)
        clock = VirtualClock(1_800_000_000.0)
        kept, whole = (
            TestClient(create_app(study, secret=SECRET, clock=clock, kept_pages=size), follow_redirects=False)
            for study, size in zip(studies, (256, 0), strict=True)
        )
        return Visits(studies[0], clock, kept, whole)

    opened: list[Study] = []
    yield serve
    for study in opened:
        study.close()


def intake(protocol, n: int) -> dict[str, str]:
    """Participant ``n``'s intake: another choice, number and name (with markup a page must escape) for each."""
    values = {}
    for f in protocol.intake:
        if f.type == "choice":
            values[f.id] = (f.choices or [])[n % len(f.choices or [])]
        elif f.type == "text":
            values[f.id] = f"Kim <{n}> & Co"
        else:
            values[f.id] = str(int(f.min if f.min is not None else 0) + 10 + n)
    return values


def take_part(visits: Visits, token: str, n: int, until: str | None = None) -> str:
    """Participant ``n`` at ``token``: consent, intake and every step to the completion page (or to the page of step
    ``until``), each page compared; returns the last page's address."""
    url, protocol = f"/s/{token}", visits.study.protocol
    done = catalogue(protocol.language)("web.done_text")
    for _ in range(300):
        response = visits.get(token, url)
        if response.status_code == 303:  # a timed step's first showing: to its address with its onset
            url = response.headers["location"]
            continue
        assert response.status_code == 200, response.text
        if done in response.text or f'name="key" value="{until}"' in response.text:
            return url
        page = Page(response.text)
        form = next((f for f in page.forms if f.action.startswith(f"/s/{token}/")), None)
        if form is None:  # a waiting page, a timed pause or picture, or a text's next page
            if page.refresh:
                visits.clock.advance(page.refresh[0])
                url = page.refresh[1] or f"/s/{token}"
            else:
                (url,) = page.hrefs
            continue
        visits.clock.advance(7 + n)  # each participant reads for another time: other onsets
        data = {**answered(form, pick=n), **(intake(protocol, n) if form.action.endswith("/start") else {})}
        posted = visits.kept.post(form.action, data=data)
        assert posted.status_code == 303, posted.text
        url = posted.headers["location"]
    raise AssertionError("the session did not end")


def take_part_all(visits: Visits, participants: int = 4) -> list[str]:
    tokens = [token for token, _ in visits.study.new_links(participants)]
    for n, token in enumerate(tokens):
        take_part(visits, token, n)
        visits.clock.advance(61.25)
    cells = {p.cell for p in visits.study.store.participants()}
    assert len(visits.study.store.participants()) == participants and len(cells) >= 2  # kept pages across cells
    return tokens


def assert_no_other_participants(visits: Visits) -> None:
    for token, pages in visits.pages.items():
        others = set().union(*(own for other, own in visits.own.items() if other != token))
        for url, html in pages:
            assert not [value for value in others if value in html + url], f"another participant's value in {url}"


def web_protocols() -> list:
    """The shipped protocols a browser can show (the others need an experimenter: the web refuses them)."""
    shown = [pytest.param(path, id=path.stem) for path in PROTOCOLS if not unshowable(load_protocol(path), SCREENS)]
    assert len(shown) >= 2, "protocols/ has its online examples"
    return shown


@pytest.mark.parametrize("path", web_protocols())
def test_every_page_of_a_shipped_protocol_is_the_page_rendered_whole(visits, path):
    served = visits(path)
    take_part_all(served)
    assert_no_other_participants(served)


@pytest.mark.parametrize("make", FIXTURES.values(), ids=FIXTURES.keys())
def test_every_page_of_a_test_protocol_is_the_page_rendered_whole(visits, tmp_path, make):
    served = visits(make(tmp_path))
    take_part_all(served)
    assert_no_other_participants(served)


def test_some_shipped_protocols_are_shown_online():  # else the test above would skip every one
    assert any(not unshowable(load_protocol(path), SCREENS) for path in PROTOCOLS)


def checked(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(item-[^"]+)" value="([^"]+)" required checked', html))


def test_a_page_shown_again_with_an_error_shows_what_was_given(visits, tmp_path):
    served = visits(online_protocol(tmp_path))
    token = next(token for token, _ in served.study.new_links(1))
    url = take_part(served, token, 0, until="expectancy")
    html = served.get(token, url).text
    form = Page(html).step_form
    assert form is not None and checked(html) == {}
    data = answered(form, pick=2)
    left_out = sorted(form.radios)[0]
    del data[left_out]
    again, expected = served.kept.post(form.action, data=data), served.whole.post(form.action, data=data)
    assert again.status_code == expected.status_code == 400
    assert again.content == expected.content
    given = {name: value for name, value in data.items() if name in form.radios}
    assert checked(again.text) == given and len(given) == len(form.radios) - 1
    assert catalogue()("web.answer_every_question") in again.text
    assert checked(served.get(token, url).text) == {}  # the page itself, kept, shows none checked


def test_a_consent_shown_again_keeps_the_statements_ticked(visits, tmp_path):
    served = visits(write_consent_protocol(tmp_path / "consent", WITH_INTAKE))
    token = next(token for token, _ in served.study.new_links(1))
    form = Page(served.get(token, f"/s/{token}").text).forms[0]
    data = {**form.fields, "consent": "agree"}
    del data["statement-data"]
    again, expected = served.kept.post(form.action, data=data), served.whole.post(form.action, data=data)
    assert again.status_code == expected.status_code == 400 and again.content == expected.content
    assert re.search(r'name="statement-read" value="1" required checked', again.text)
    assert not re.search(r'name="statement-data" value="1" required checked', again.text)


def environment(**templates: str) -> Environment:
    return Environment(loader=DictLoader(templates), autoescape=True)


def test_a_template_that_changes_a_visit_value_is_refused():
    pages = KeptPages(environment(page="{{ key }} {{ token }} {{ token | urlencode }}"))  # the same text: kept
    assert pages.render("page", {"key": "k", "token": "abc"}) == "k abc abc"
    for changed in ("{{ token[:8] }}", "{{ token | upper }}", "{{ token | length }}", "{{ token | reverse }}"):
        pages = KeptPages(environment(page=f"<p>{{{{ key }}}}</p><a href='/s/{{{{ token }}}}'>{changed}</a>"))
        with pytest.raises(InternalError, match="changes a visit's value"):
            pages.render("page", {"key": "k", "token": "abc"})


def test_visit_values_are_escaped_as_the_template_escapes_them():
    pages = KeptPages(environment(page="<a href='/s/{{ token }}/{{ \"x\" ~ onset }}'>{{ next_page }} {{ key }}</a>"))
    for n, key in enumerate(["a", Markup("<b>a</b>"), "<b>a</b>", "a"]):
        context = {"token": f"t{n}&<'\"", "onset": f"{n}.5", "next_page": f"/s/t?onset={n}&sig=ab", "key": key}
        assert pages.render("page", context) == pages.whole("page", context)
    assert len(pages) == 3  # "a" once; the Markup and the text of the same characters are two pages


def test_a_page_with_an_empty_visit_value_is_rendered_whole():
    pages = KeptPages(environment(page="{% if next_page %}<a href='{{ next_page }}'>next</a>{% endif %}{{ token }}"))
    assert pages.render("page", {"next_page": "", "token": "t"}) == "t"
    assert len(pages) == 0


def test_the_pages_kept_are_bounded():
    pages = KeptPages(environment(page="{{ key }} {{ token }}"), size=3)
    for n in range(10):
        assert pages.render("page", {"key": str(n), "token": "t"}) == f"{n} t"
    assert len(pages) == 3
    assert pages.render("page", {"key": "9", "token": "u"}) == "9 u"
