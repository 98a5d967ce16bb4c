"""Online sessions under load: N virtual participants (async, loopback only) complete the online example
(protocols/text-vignette-online.yaml) at once against a real `placebolab serve`, with 1 worker on SQLite and
4 workers on PostgreSQL (127.0.0.1:5432, or ``PLACEBOLAB_TEST_PG``; skipped with the reason when unreachable).

Each participant opens their personal link, agrees to the consent asked first and enrols on the start page, then
reads and answers every step as a browser does (GET the page, POST the form, follow the 303). Afterwards the store is read: every participant
completed, every step stored once, every answer exactly as sent (else the benchmark fails: lost or duplicated
answers are a bug, not a figure). Reported: a step's round trip (the POST that commits it and the GET of the
next page) p50 and p99; committed steps per second over the whole run, as a ratio to a bare Starlette endpoint
(benchmarks/_bare_web.py, the same workers and database) that commits the same rows (a step and its answers,
one transaction) for the same N clients in the same run (goal: placebolab ≤ 2× slower); the resident memory
of each worker process after the run. The ratio is the median of ``ROUNDS`` rounds, each the bare endpoint then
placebolab on a study made afresh (a round of 200 participants takes seconds, and a shared machine's hiccup
moved one round's ratio by half); the other figures are the median round's. A request whose kept-alive connection the server closed before
answering is sent again, as a browser does (counted: "requests sent again"). The participants are one
client process speaking HTTP/1.1 on asyncio streams (``_Client``), not httpx: with httpx the client used a
whole core while the server idled half the time, so the figures measured the client; the CPU seconds of
server and client are reported, to show which one ran out.

The bare step answers its POST and renders nothing: one request per step. placebolab's step is two, as the
issue requires (Post/Redirect/Get: the POST commits and answers 303, the browser GETs the next page), so
uvicorn and Starlette's own work per request weighs twice in it. A second baseline measures that floor: the
bare PRG step (_bare_web.py) commits the same rows, answers 303, and serves a fixed form of a few hundred
bytes to the GET that follows, driven by the same client as placebolab (POST, then the GET the 303 names).
Its ratio ("bare PRG ÷ placebolab") and server CPU per step are reported beside the goal's, as information:
the goal stays against the bare step. A third run makes placebolab's whole request pattern bare: the bare PRG
step with as many GETs of its page first as placebolab serves pages that commit nothing (the consent and start
pages, a text's further pages), so each client sends as many requests as a participant. "bare ÷ bare PRG with
placebolab's requests" is what that pattern alone costs against the goal's baseline, before any of
placebolab's own work.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import _bare_web
from _util import REPO, figure

PG_SERVER = os.environ.get("PLACEBOLAB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PROTOCOL = REPO / "protocols" / "text-vignette-online.yaml"
CONFIGS = (("sqlite", 1), ("postgresql", 4))
#: Rounds per configuration, each the bare endpoint then placebolab side by side: a run of 200 participants
#: takes 2–5 s, and one hiccup of a shared machine moved a single round's ratio by half.
ROUNDS = 5
INTAKE = {"sex": "female", "age": "30"}
DONE = "You have completed the study"
sys.path.insert(0, str(REPO))  # tests.web.conftest: the reader of served pages the flow tests use


def run(quick: bool = False) -> dict:
    participants, rounds = (20, 1) if quick else (200, ROUNDS)
    figures, tables, samples, skipped = [], {"per configuration": []}, {}, {}
    for backend, workers in CONFIGS:
        try:
            paired = [_round(backend, workers, participants, first=i == 0) for i in range(rounds)]
        except _Unavailable as exc:
            skipped[backend] = str(exc)
            continue
        ratios = [bare["steps_per_s"] / ours["steps_per_s"] for bare, ours, _ in paired]
        bare, ours, _ = paired[ratios.index(statistics.median_low(ratios))]  # the median round's figures
        prg, matched, pages = paired[0][2]
        lost = sum(o["lost"] + o["duplicated"] for _, o, _ in paired)
        name = f"{backend}, {workers} worker{'s' if workers > 1 else ''}"
        rts = sorted(ours["round_trips"])
        p50, p99 = statistics.median(rts), rts[min(len(rts) - 1, int(0.99 * len(rts)))]
        ratio, prg_ratio = statistics.median(ratios), prg["steps_per_s"] / paired[0][1]["steps_per_s"]  # same round
        each = ", ".join(f"{r:.2f}" for r in ratios)
        cpu_ms = {
            run: 1000 * result["server_cpu_s"] / result["steps"]
            for run, result in (("ours", ours), ("bare", bare), ("prg", prg))
        }
        figures += [
            figure(f"{name}: lost or duplicated answers", lost, "", f"read back from the store after each of {rounds} round(s)", "0", lost == 0),
            figure(f"{name}: step round trip p50", round(1000 * p50, 1), "ms", f"POST (commit) + GET of the next page, {participants} participants at once"),
            figure(f"{name}: step round trip p99", round(1000 * p99, 1), "ms", f"{len(rts)} steps"),
            figure(f"{name}: committed steps/s", round(ours["steps_per_s"], 1), "steps/s", f"{ours['steps']} steps in {ours['elapsed_s']:.1f} s, enrolment and text pages included"),
            figure(f"{name}: bare endpoint", round(bare["steps_per_s"], 1), "steps/s", "the same INSERTs and COMMIT per step, nothing else"),
            figure(f"{name}: bare ÷ placebolab", round(ratio, 2), "×", f"time per committed step, relative to the bare endpoint: the median of {rounds} round(s), each the bare endpoint then placebolab ({each}); the other figures are the median round's", "≤ 2", ratio <= 2),
            figure(f"{name}: bare PRG endpoint", round(prg["steps_per_s"], 1), "steps/s", f"the same INSERTs and COMMIT, a 303, and a GET of a fixed {len(_bare_web.PAGE.encode())}-byte form: 2 requests per step (placebolab: {ours['requests'] / ours['steps']:.2f}, enrolment and text pages included)"),
            figure(f"{name}: bare PRG ÷ placebolab", round(prg_ratio, 2), "×", "informational, no goal: the floor that two requests per step (Post/Redirect/Get) set"),
            figure(f"{name}: bare ÷ bare PRG with placebolab's requests", round(bare["steps_per_s"] / matched["steps_per_s"], 2), "×", f"informational: the bare PRG step plus {pages} GETs of its page per participant (placebolab's consent, start and text pages), {round(ours['requests'] / participants)} requests in all as placebolab: what its request pattern alone costs against the goal's baseline"),
            figure(f"{name}: requests sent again", ours["retried"], "", f"the server closed a kept-alive connection first (bare: {bare['retried']}, bare PRG: {prg['retried']})"),
            figure(f"{name}: server CPU per step", round(cpu_ms["ours"], 2), "ms", f"all workers; bare: {cpu_ms['bare']:.2f} ms"),
            figure(f"{name}: bare PRG server CPU per step", round(cpu_ms["prg"], 2), "ms", f"all workers; placebolab ÷ bare PRG: {cpu_ms['ours'] / cpu_ms['prg']:.2f}×"),
            figure(f"{name}: busy share, server / client", f"{ours['server_cpu_s'] / (workers * ours['elapsed_s']):.0%} / {ours['client_cpu_s'] / ours['elapsed_s']:.0%}", "", f"CPU ÷ wall time (server: per worker); bare: {bare['server_cpu_s'] / (workers * bare['elapsed_s']):.0%} / {bare['client_cpu_s'] / bare['elapsed_s']:.0%}; a client near 100% measures itself"),
            figure(f"{name}: memory per worker", round(max(ours["rss_mib"]), 1), "MiB", f"RSS after the run: {', '.join(f'{m:.0f}' for m in ours['rss_mib'])}"),
        ]  # fmt: skip
        tables["per configuration"].append(
            {
                "configuration": name,
                "participants": participants,
                "steps": ours["steps"],
                "answers": ours["answers"],
                "requests": ours["requests"],
                "elapsed_s": round(ours["elapsed_s"], 2),
                "requests_per_s": round(ours["requests"] / ours["elapsed_s"], 1),
                "bare_elapsed_s": round(bare["elapsed_s"], 2),
                "bare_prg_elapsed_s": round(prg["elapsed_s"], 2),
                "retried": ours["retried"],
                "bare_retried": bare["retried"],
                "bare_prg_retried": prg["retried"],
            }
        )
        samples[name] = {"round_trips_ms": [round(1000 * r, 2) for r in rts], "rss_mib": ours["rss_mib"]}
    for backend, why in skipped.items():
        figures.append(figure(f"{backend}: skipped", None, "", why))
    return {
        "title": f"{participants} online participants at once through `placebolab serve`, vs bare Starlette endpoints",
        "figures": figures,
        "tables": tables,
        "params": {
            "participants": participants,
            "protocol": PROTOCOL.name,
            "configurations": ", ".join(f"{b} × {w} worker(s)" for b, w in CONFIGS),
            "client": "asyncio streams on 127.0.0.1 (HTTP/1.1, one kept-alive connection per participant)",
        },
        "samples": samples,
    }


class _Unavailable(Exception):
    pass


class _Study:
    """The online example, initialised afresh (on PostgreSQL in its own database), with a link per participant."""

    def __init__(self, backend: str, participants: int):
        self.backend, self.participants, self.url = backend, participants, None

    def __enter__(self):
        from placebolab.study import Study

        self.tmp = tempfile.TemporaryDirectory(prefix="placebolab-bench-web-")
        self.root = Path(self.tmp.name)
        if self.backend == "postgresql":
            self.url = self._database()
        self.folder = self.root / "study"
        with Study.init(PROTOCOL, self.folder, seed=1, store_url=self.url) as study:
            self.tokens = [token for token, _ in study.new_links(self.participants)]
        return self

    def _database(self) -> str:
        try:
            import psycopg

            self.name = f"plbbench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
        except Exception as exc:  # no server: report, do not fail the other configuration
            self.tmp.cleanup()
            raise _Unavailable(f"no PostgreSQL at {PG_SERVER}: {' '.join(str(exc).split())[:120]}") from None
        return PG_SERVER.rsplit("/", 1)[0] + "/" + self.name

    def __exit__(self, *_):
        self.tmp.cleanup()
        if self.url is not None:
            import psycopg

            with psycopg.connect(PG_SERVER, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                admin.execute(f'DROP ROLE IF EXISTS "{self.name}_experimenter"')


def _plan_keys(folder: Path) -> list[str]:
    from placebolab.session import plan
    from placebolab.study import Study

    with Study.open(folder) as study:
        return [o.key for o in plan(study.protocol, study.protocol.cells[0].id)]


def _round(backend: str, workers: int, participants: int, first: bool) -> tuple[dict, dict, tuple | None]:
    """One round on a study made afresh: the bare endpoint, then placebolab (and, in the ``first`` round, the
    bare PRG step and the bare PRG step with placebolab's requests, informational: their figures vary less
    than what they are compared with)."""
    with _Study(backend, participants) as study:
        steps = len(_plan_keys(study.folder))
        bare = _bare(study, workers, participants, steps)
        ours = _served(study, workers, participants)
        if not first:
            return bare, ours, None
        prg = _bare(study, workers, participants, steps, prg=True)
        pages = round(ours["requests"] / participants) - 2 * steps  # its GETs that commit nothing
        matched = _bare(study, workers, participants, steps, prg=True, pages=pages)
        return bare, ours, (prg, matched, pages)


# --- placebolab serve ----------------------------------------------------------------------------------


def _served(study: _Study, workers: int, participants: int) -> dict:
    port = _free_port()
    command = [sys.executable, "-c", "from placebolab.cli import main; main()", "serve", str(study.folder)]
    options = ["--port", str(port), "--workers", str(workers), "--enrol-limit", "0"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    server = subprocess.Popen(
        [*command, *options], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(server, f"{base}/s/{study.tokens[0]}", workers)
        started, RETRIED[:] = time.perf_counter(), []
        cpu = (_cpu_seconds(server.pid, workers), time.process_time())
        results = asyncio.run(_participants(base, study.tokens))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = _cpu_seconds(server.pid, workers) - cpu[0], time.process_time() - cpu[1]
        rss = _worker_rss(server.pid, workers)
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=120)[0]
    if server.returncode != 0:
        raise RuntimeError(f"serve exited with {server.returncode}:\n{output[-3000:]}")
    checked = _check(study.folder, study.tokens, [sent for sent, _, _ in results])
    return {
        **checked,
        "elapsed_s": elapsed,
        "steps_per_s": checked["steps"] / elapsed,
        "round_trips": [rt for _, rts, _ in results for rt in rts],
        "requests": sum(requests for _, _, requests in results),
        "rss_mib": rss,
        "retried": len(RETRIED),
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
    }


async def _participants(base: str, tokens: list[str]) -> list[tuple[dict, list[float], int]]:
    clients = [_Client(base) for _ in tokens]  # one kept-alive connection each, as one browser tab
    try:
        return await asyncio.gather(
            *(_participant(c, token, i % 5) for i, (c, token) in enumerate(zip(clients, tokens, strict=True)))
        )
    finally:
        for client in clients:
            client.close()


RETRIED: list[str] = []  # requests sent again after the server closed a kept-alive connection under them


async def _send(client: _Client, method: str, url: str, data: dict[str, str] | None = None) -> _Reply:
    """One request, sent again (at most twice) when the connection was closed or reset before its response came
    (the server closes a connection idle for 5 s), as a browser does: safe for a step's POST too, since a
    repeated form names a step no longer current (and the bare endpoint ignores a row it already has)."""
    for attempt in range(3):
        try:
            return await client.request(method, url, data)
        except (ConnectionError, asyncio.IncompleteReadError):
            client.close()
            if attempt == 2:
                raise
            RETRIED.append(f"{method} {url}")
    raise AssertionError("unreachable")


class _Reply:
    def __init__(self, status_code: int, headers: dict[str, str], body: bytes):
        self.status_code, self.headers, self.text = status_code, headers, body.decode("utf-8", "replace")


class _Client:
    """HTTP/1.1 on one kept-alive loopback connection (asyncio streams), what a browser tab does and no more.
    httpx spent a whole core on 200 participants while the server it measured was idle half the time: the
    figures were the client's. This one costs a small part of the server's time per request, so the server is
    what runs out. It sends forms (urlencoded) and reads Content-Length bodies, all these servers send."""

    def __init__(self, base: str):
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, data: dict[str, str] | None = None) -> _Reply:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        body = urlencode(data).encode() if data is not None else b""
        form = "Content-Type: application/x-www-form-urlencoded\r\n" if data is not None else ""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{form}Content-Length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body)
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {
            name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        content = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return _Reply(status, headers, content)

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def _participant(client, token: str, pick: int) -> tuple[dict[str, list[float]], list[float], int]:
    """One virtual participant: enrol, then every step; returns (values sent by step key, round trips, requests)."""
    link = f"/s/{token}"
    action, data, _ = _read((await _send(client, "GET", link)).text, pick)
    sent: dict[str, list[float]] = {}
    requests = 0
    if action.endswith("/consent"):  # the protocol's consent first, before enrolment: agreed
        agreed = await _send(client, "POST", action, data=data)  # 303 to the start page
        action, data, _ = _read((await _send(client, "GET", agreed.headers["location"])).text, pick)
        sent["consent"], requests = [1.0], 2  # recorded at enrolment
    enrolled = await _send(client, "POST", action, data=data)
    if enrolled.status_code != 303:
        raise RuntimeError(f"enrolment refused ({enrolled.status_code}): {enrolled.text[:300]}")
    response, requests = await _send(client, "GET", link), requests + 3
    round_trips: list[float] = []
    for _ in range(100):
        if response.status_code != 200:
            raise RuntimeError(f"{link}: {response.status_code}: {response.text[:300]}")
        if DONE in response.text:
            return sent, round_trips, requests
        action, data, next_page = _read(response.text, pick)
        if action is None:  # a text's next page
            response, requests = await _send(client, "GET", next_page), requests + 1
            continue
        answers = sorted(float(v) for k, v in data.items() if k.startswith("item-"))
        sent[data["key"]] = [1.0] if data.get("consent") == "agree" else answers  # a consent agreed to stores 1
        started = time.perf_counter()
        posted = await _send(client, "POST", action, data=data)
        if posted.status_code != 303:
            raise RuntimeError(f"{link}: step {data['key']} refused ({posted.status_code}): {posted.text[:300]}")
        response = await _send(client, "GET", posted.headers["location"])
        round_trips.append(time.perf_counter() - started)
        requests += 2
    raise RuntimeError(f"{link}: the session did not end")


_FORM = re.compile(r'<form method="post" action="([^"]+)"')
#: hidden fields and text fields sent as they are (the honeypot's, empty: a browser's participant leaves it so)
_FIELD = re.compile(r'<input type="(?:hidden|text)" name="([^"]+)" value="([^"]*)"')
_RADIO = re.compile(r'<input type="radio" name="([^"]+)" value="([^"]+)"')
_CHECKBOX = re.compile(r'<input type="checkbox" name="([^"]+)" value="([^"]+)"')  # a consent's statement: ticked
_BUTTON = re.compile(r'<button type="submit" name="([^"]+)" value="([^"]+)"')  # a consent's agree (the first)
#: a slider's answer (the field typed without the page script): answered at its middle, as the fallback does
_SLIDER = re.compile(r'<input id="[^"]+" type="number" name="([^"]+)" min="([^"]+)" max="([^"]+)"')
#: a start page's intake field other than a choice (its value is INTAKE's)
_INTAKE = re.compile(r'<input id="intake-[^"]+" name="([^"]+)"')
_NEXT = re.compile(r'<a class="button" href="([^"]+)"')


def _read(html: str, pick: int) -> tuple[str | None, dict[str, str], str | None]:
    """(the page form's action, its data filled in as tests.web.conftest.answered fills it and a start page's
    intake as INTAKE, the next page's link) by a few regular expressions: this one client process reads every
    participant's pages, and an HTML parser took a large share of the two CPUs the server runs on. A page with
    anything else (a field they do not know) falls back to that parser."""
    from tests.web.conftest import Page, answered

    form = _FORM.search(html)
    fields, radios, sliders = _FIELD.findall(html), _RADIO.findall(html), _SLIDER.findall(html)
    boxes, intake = _CHECKBOX.findall(html), _INTAKE.findall(html)
    known = len(fields) + len(radios) + 2 * len(sliders) + len(boxes) + len(intake)
    if form is None:
        found = _NEXT.search(html)
        if found is not None:
            return None, {}, found[1].replace("&amp;", "&")
    elif html.count("<input") == known and html.count('type="range"') == len(sliders):
        data = dict(fields) | dict(boxes) | {name: f"{(float(low) + float(high)) / 2:g}" for name, low, high in sliders}
        groups: dict[str, list[str]] = {}
        for name, value in radios:
            groups.setdefault(name, []).append(value)
        data |= {name: values[min(pick, len(values) - 1)] for name, values in groups.items()}
        button = _BUTTON.search(html)
        if button is not None:
            data[button[1]] = button[2]
        return form[1].replace("&amp;", "&"), data | _intake(form[1]), None
    page = Page(html)
    if page.step_form is None and not page.forms:
        (url,) = page.hrefs
        return None, {}, url
    form = page.step_form or page.forms[0]
    return form.action, answered(form, pick) | _intake(form.action), None


def _intake(action: str) -> dict[str, str]:
    """A start page's intake, as INTAKE gives it (its choice fields and any other)."""
    return INTAKE if action.endswith("/start") else {}


def _check(folder: Path, tokens: list[str], sent: list[dict[str, list[float]]]) -> dict:
    """Read the store back: every participant completed, each step once, each answer as sent. Raises otherwise."""
    from placebolab.session import plan
    from placebolab.study import Study

    with Study.open(folder) as study:
        steps, answers = study.store.rows("steps"), study.store.rows("responses")
        stored: dict[tuple[str, str], list[float]] = {}
        for a in answers:
            stored.setdefault((a["participant"], a["step_key"]), []).append(a["value"])
        duplicated = sum(n - 1 for n in Counter((a["participant"], a["step_key"], a["item"]) for a in answers).values())
        duplicated += sum(n - 1 for n in Counter((s["participant"], s["step_key"]) for s in steps).values())
        lost, problems = 0, []
        for token, mine in zip(tokens, sent, strict=True):
            participant = study.link_participant(token)
            person = study.store.participant(participant)
            if person is None or person.status != "completed":
                problems.append(f"{participant} did not complete")
                continue
            keys = {s["step_key"] for s in steps if s["participant"] == participant}
            expected = {o.key for o in plan(study.protocol, person.cell)}
            lost += len(expected - keys)
            for key, values in mine.items():
                got = sorted(stored.get((participant, key), []))
                if got != values:
                    lost += max(len(values) - len(got), 0) or 1
                    problems.append(f"{participant} {key}: sent {values}, stored {got}")
    if lost or duplicated or problems:
        raise RuntimeError(f"lost {lost}, duplicated {duplicated}: " + "; ".join(problems[:10]))
    return {"steps": len(steps), "answers": len(answers), "lost": lost, "duplicated": duplicated}


# --- the bare endpoint -----------------------------------------------------------------------------------


def _bare(study: _Study, workers: int, participants: int, steps: int, prg: bool = False, pages: int = 0) -> dict:
    """N clients each commit ``steps`` steps (3 answers each) through _bare_web, at once; steps per second.
    ``prg``: through its PRG step (each POST answered 303, then the GET of its page), else its bare step;
    ``pages``: GETs of the PRG page each client makes first (placebolab's pages that commit nothing)."""
    database = study.url or str(study.root / "bare.db")
    _bare_web.prepare(database)
    port = _free_port()
    env = {**os.environ, "BARE_DB": database, "PYTHONPATH": str(Path(__file__).parent)}
    command = [sys.executable, "-m", "uvicorn", "_bare_web:app", "--factory", "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(server, f"{base}/", workers)
        started, RETRIED[:] = time.perf_counter(), []
        cpu = (_cpu_seconds(server.pid, workers), time.process_time())
        asyncio.run(_bare_clients(base, participants, steps, prg, pages))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = _cpu_seconds(server.pid, workers) - cpu[0], time.process_time() - cpu[1]
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=120)[0]
    committed = _bare_count(database)
    if committed != participants * steps:
        raise RuntimeError(
            f"the bare endpoint committed {committed} of {participants * steps} steps:\n{output[-2000:]}"
        )
    return {
        "elapsed_s": elapsed,
        "steps": committed,
        "steps_per_s": committed / elapsed,
        "retried": len(RETRIED),
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
    }


async def _bare_clients(base: str, participants: int, steps: int, prg: bool, pages: int = 0) -> None:
    async def one(i: int) -> None:
        client = _Client(base)
        try:
            for _ in range(pages):
                response = await _send(client, "GET", f"/b/p{i}/page")
                if response.status_code != 200 or response.text != _bare_web.PAGE:
                    raise RuntimeError(f"the bare PRG page answered {response.status_code}: {response.text[:200]}")
            for step in range(steps):
                data = {"key": f"s{step}", "item-a": "1", "item-b": "2", "item-c": str(i % 5)}
                response = await _send(client, "POST", f"/b/p{i}/{'answer' if prg else 'step'}", data=data)
                if response.status_code != (303 if prg else 200):
                    raise RuntimeError(f"the bare endpoint answered {response.status_code}: {response.text[:200]}")
                if prg:  # the page the 303 names, as a browser (and placebolab's participants here) GETs it
                    response = await _send(client, "GET", response.headers["location"])
                    if response.status_code != 200 or response.text != _bare_web.PAGE:
                        raise RuntimeError(f"the bare PRG page answered {response.status_code}: {response.text[:200]}")
        finally:
            client.close()

    await asyncio.gather(*(one(i) for i in range(participants)))


def _bare_count(database: str) -> int:
    if database.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database) as db:
            return db.execute("SELECT COUNT(*) FROM bare_steps").fetchone()[0]
    import sqlite3

    db = sqlite3.connect(database)
    try:
        return db.execute("SELECT COUNT(*) FROM bare_steps").fetchone()[0]
    finally:
        db.close()


# --- processes -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(server: subprocess.Popen, url: str, workers: int) -> None:
    """Until the server answers (and, with several workers, until each has had time to start)."""
    import httpx2

    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}):\n{server.stdout.read()[-3000:]}")
        try:
            httpx2.get(url, timeout=2)
            break
        except httpx2.TransportError:
            time.sleep(0.1)
    else:
        raise RuntimeError(f"{url} did not answer within 60 s")
    if workers > 1:
        deadline = time.monotonic() + 60
        while len(_children(server.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # each worker opens the study once it has started


def _children(pid: int) -> list[int]:
    """The worker processes uvicorn spawned under ``pid`` (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"resource_tracker" not in command:
            found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int, workers: int) -> float:
    """The CPU seconds (user and system) the server's workers have used so far."""
    ticks = 0
    for worker in [pid] if workers == 1 else _children(pid):
        fields = Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _worker_rss(pid: int, workers: int) -> list[float]:
    """Each worker's resident memory in MiB (the server process itself when it is the one worker)."""
    pids = [pid] if workers == 1 else _children(pid)
    sizes = []
    for worker in pids:
        for line in Path(f"/proc/{worker}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes
