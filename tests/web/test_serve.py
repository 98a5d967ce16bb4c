"""`placebolab serve` runs a real uvicorn server: it answers a personal link over HTTP, then stops on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx2
from click.testing import CliRunner

from placebolab.cli import main
from placebolab.study import Study
from tests.conftest import ROOT

VIDEO_VIGNETTE = ROOT / "protocols" / "video-vignette-anxiety.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_a_link_over_http_and_stops(tmp_path):
    with Study.init(VIDEO_VIGNETTE, tmp_path / "vv", seed=3) as study:
        ((token, _participant),) = study.new_links(1)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-c", "from placebolab.cli import main; main()", "serve", str(tmp_path / "vv")]
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        response = None
        for _ in range(150):
            try:
                response = httpx2.get(f"http://127.0.0.1:{port}/s/{token}", timeout=2)
                break
            except httpx2.TransportError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.2)
        assert response is not None, "the server did not answer within 30 s"
        assert response.status_code == 200 and 'action="/s/' in response.text
        assert response.headers["cache-control"] == "no-store" and "server" not in response.headers
        assert httpx2.get(f"http://127.0.0.1:{port}/s/unknown", timeout=2).status_code == 404
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0, output
    assert f"Serving vv on http://127.0.0.1:{port}" in output and token not in output  # no token in the log
    with Study.open(tmp_path / "vv") as study:
        assert study.store.participants() == []  # the GET enrolled nobody


def test_several_workers_need_postgresql(tmp_path):
    Study.init(VIDEO_VIGNETTE, tmp_path / "vv", seed=3).close()
    result = CliRunner().invoke(main, ["serve", str(tmp_path / "vv"), "--workers", "4"])
    assert result.exit_code == 2
    assert "SQLite, which one process writes at a time" in result.output and "PostgreSQL" in result.output


TEXT_VIGNETTE = ROOT / "protocols" / "text-vignette-online.yaml"


def start_server(folder, port, *options):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-c", "from placebolab.cli import main; main()", "serve", str(folder)]
    return subprocess.Popen(
        [*command, "--port", str(port), *options], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_for(server, url):
    for _ in range(300):
        try:
            return httpx2.get(url, timeout=2)
        except httpx2.TransportError:
            assert server.poll() is None, server.stdout.read()
            time.sleep(0.2)
    raise AssertionError("the server did not answer within 60 s")


def take_part(base, path, pick, *, double_submit=True):
    """One participant through a real server: the start page, then every step (each form sent twice when
    ``double_submit``, as a double click does). Returns (participant's link path, {step key: values sent})."""
    from .conftest import INTAKE, Page, answered

    sent: dict[str, list[float]] = {}
    with httpx2.Client(base_url=base, follow_redirects=False, timeout=60) as client:
        page = client.get(path)
        if page.status_code == 303:  # Prolific's general link of an ID already enrolled: their session
            path = page.headers["location"]
            page = client.get(path)
        assert page.status_code == 200, (page.status_code, page.text)
        link, forms = path, Page(page.text).forms  # none: enrolled by another tab, on a text's first page
        if forms and forms[0].action.endswith("/consent"):  # the consent first, before enrolment: agreed
            agreed = client.post(forms[0].action, data=answered(forms[0]))
            assert agreed.status_code == 303, agreed.text  # to the start page, or the session (another tab enrolled)
            page = client.get(agreed.headers["location"])
            if page.status_code == 303:  # Prolific's general link of an ID enrolled meanwhile: their session
                link, forms = page.headers["location"], []
            else:
                assert page.status_code == 200, page.text
                forms = [form for form in Page(page.text).forms if form.action.endswith("/start")]
                if forms:  # the start page (the agreement in its address and its form), else their session
                    sent["consent"] = [1.0]
        if forms and forms[0].action.endswith("/start"):  # not enrolled yet (another tab may enrol them meanwhile)
            (form,) = forms
            enrolled = client.post(form.action, data={**form.fields, **INTAKE, "age": str(20 + pick)})
            assert enrolled.status_code == 303, enrolled.text
            link = enrolled.headers["location"]
        url = link
        for _ in range(100):
            response = client.get(url)
            if response.status_code == 303 or "You have completed the study" in response.text:
                return link, sent, response
            assert response.status_code == 200, response.text
            page = Page(response.text)
            if page.step_form is None:
                (url,) = page.hrefs  # a text's next page
                continue
            data = answered(page.step_form, pick)
            values = [float(v) for k, v in data.items() if k.startswith("item-")]
            sent[data["key"]] = [1.0] if data.get("consent") == "agree" else sorted(values)  # a consent: agreed
            for _ in range(2 if double_submit else 1):
                posted = client.post(page.step_form.action, data=data)
                assert posted.status_code == 303, posted.text
            url = posted.headers["location"]
    raise AssertionError("the session did not end")


def test_several_workers_on_postgresql_run_participants_at_once(tmp_path, pg_url):
    """`serve --workers 2` on PostgreSQL (worker_app in each process): 16 participants with personal links and
    6 tabs of one Prolific participant at once, every form sent twice: each answer stored once, as sent,
    one allocation per participant, and the Prolific participant sent to the completion URL."""
    from concurrent.futures import ThreadPoolExecutor

    from placebolab.allocation.audit import audit_study
    from placebolab.session import plan

    with Study.init(TEXT_VIGNETTE, tmp_path / "tv", seed=5, store_url=pg_url) as study:
        tokens = [token for token, _ in study.new_links(16)]
    port = free_port()
    server = start_server(tmp_path / "tv", port, "--workers", "2", "--prolific", "CODE123", "--enrol-limit", "0")
    base = f"http://127.0.0.1:{port}"
    general = "/prolific?PROLIFIC_PID=" + "ab" * 12
    try:
        assert wait_for(server, f"{base}/s/{tokens[0]}").status_code == 200
        jobs = [(f"/s/{token}", i % 5) for i, token in enumerate(tokens)] + [(general, 3)] * 6
        with ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(lambda job: take_part(base, *job), jobs))
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=60)[0]
        print(output)  # pytest shows it with a failure: the server's own account of an error page
    assert server.returncode == 0, output
    assert "with 2 worker(s)" in output
    prolific = [result for (path, _), result in zip(jobs, results, strict=True) if path == general]
    assert {link for link, _, _ in prolific} == {prolific[0][0]}  # six tabs, one participant
    assert all(
        r.headers["location"] == "https://app.prolific.com/submissions/complete?cc=CODE123" for *_, r in prolific
    )
    with Study.open(tmp_path / "tv") as study:
        people = study.store.participants()
        assert len(people) == 17 and sum(p.id.startswith("pro") for p in people) == 1
        assert study.store.allocation_summary()["allocated"] == 17
        assert all(p.status == "completed" for p in people)
        steps, answers = study.store.rows("steps"), study.store.rows("responses")
        for (path, _), (link, sent, _) in zip(jobs, results, strict=True):
            participant = study.link_participant(link.removeprefix("/s/"))
            cell = study.store.participant(participant).cell
            keys = [s["step_key"] for s in steps if s["participant"] == participant]
            assert sorted(keys) == sorted(o.key for o in plan(study.protocol, cell))  # each step once
            if path == general:
                continue  # its six tabs answered the same steps: which tab's copy was stored is not known
            for key, values in sent.items():
                stored = sorted(a["value"] for a in answers if a["participant"] == participant and a["step_key"] == key)
                assert stored == values, (participant, key)
        assert audit_study(study).problems == []
