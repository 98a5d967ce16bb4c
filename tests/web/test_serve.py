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
