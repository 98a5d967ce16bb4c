"""Commands of online sessions: personal links, and the server participants' browsers talk to."""

from __future__ import annotations

import csv
import json
import os
import sys

import click

#: What `serve` hands its worker processes (each opens the study itself): the study folder and its options.
ENV_STUDY, ENV_OPTIONS = "PLACEBOLAB_WEB_STUDY", "PLACEBOLAB_WEB_OPTIONS"


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("-n", "count", type=click.IntRange(1, 100_000), required=True, help="How many links.")
@click.option(
    "--base-url",
    default="",
    metavar="URL",
    help="Where participants reach `placebolab serve`, e.g. https://study.example.org; the url column is URL/s/TOKEN.",
)
def links(study, count, base_url):
    """Print N new single-use personal links to STUDY's online sessions, as CSV (participant,token,url).

    Each link is one participant: it enrols them on its start page and then resumes their session until it
    is complete. The store keeps only a hash of each token, so this output is the only copy of the links:
    save it (`placebolab links STUDY -n 300 > links.csv`) and hand each link to one person."""
    from placebolab.frontends.base import refuse_unshowable
    from placebolab.frontends.web.screens import SCREENS
    from placebolab.study import Study

    with Study.open(study, writing=True) as opened:
        refuse_unshowable(opened.protocol, SCREENS)  # no link to a study a browser cannot run
        made = opened.new_links(count)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["participant", "token", "url"])
    for token, participant in made:
        writer.writerow([participant, token, f"{base_url.rstrip('/')}/s/{token}"])
    click.echo(f"{count} links made ({made[0][1]}–{made[-1][1]}); only their hashes are stored.", err=True)


@click.command()
@click.argument("study", type=click.Path(file_okay=False))
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on; keep 127.0.0.1 behind a TLS reverse proxy (nginx, Caddy), which participants reach.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes; more than one needs the study on PostgreSQL.",
)
@click.option(
    "--prolific",
    "completion_code",
    metavar="COMPLETION_CODE",
    help="Open the general link for Prolific, URL/prolific?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}"
    "&SESSION_ID={{%SESSION_ID%}} (one participant per Prolific ID), and send each participant whose last answer "
    "is stored to Prolific's completion URL with this code.",
)
@click.option(
    "--enrol-limit",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="At most this many enrolments (start pages sent) per client address per --enrol-window, per worker; "
    "0: no limit. Raise it when many participants share one address (a computer room).",
)
@click.option(
    "--enrol-window",
    type=click.FloatRange(min=1),
    default=60,
    show_default=True,
    help="The window of --enrol-limit, in seconds.",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    metavar="ADDRESSES",
    help="The reverse proxies (comma-separated addresses, or *) whose X-Forwarded-For and X-Forwarded-Proto "
    "headers are believed: the client address that --enrol-limit counts is then the participant's.",
)
def serve(study, port, host, workers, completion_code, enrol_limit, enrol_window, forwarded_allow_ips):
    """Serve STUDY's online sessions: participants open their personal links (`placebolab links`) in a browser,
    or, with --prolific, the study's general link on Prolific."""
    try:
        import uvicorn

        from placebolab.frontends.web.app import COMPLETION_CODE
    except ImportError as exc:
        raise click.ClickException(
            f"serving online sessions needs the web extra ({exc.name} is missing): pip install 'placebolab[web]'"
        ) from None
    from placebolab.store import SQLiteStore
    from placebolab.study import Study

    if completion_code is not None and not COMPLETION_CODE.match(completion_code):
        raise click.BadParameter(
            f"{completion_code!r} is not a completion code: Prolific's are letters and digits (e.g. C1A2B3C4)",
            param_hint="--prolific",
        )
    settings = {"prolific": completion_code, "enrol_limit": enrol_limit, "enrol_window": enrol_window}
    options = {  # no access log: it would hold the links' tokens
        "host": host,
        "port": port,
        "access_log": False,
        "server_header": False,
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
    }
    with Study.open(study, writing=True, any_thread=True) as opened:
        if workers > 1 and isinstance(opened.store, SQLiteStore):
            raise click.UsageError(
                f"--workers {workers}: {opened.folder} keeps its store in SQLite, which one process writes at a time, "
                "so several workers would queue on its lock and a participant's answer could time out; serve it with "
                "one worker, or init the study on PostgreSQL (--store postgresql://…) to run several"
            )
        app = _app(opened, settings)  # refuses a protocol a browser cannot show, before anyone enrols
        general = f" and http://{host}:{port}/prolific (Prolific)" if completion_code else ""
        click.echo(
            f"Serving {opened.name} on http://{host}:{port}/s/TOKEN{general} with {workers} worker(s); Ctrl-C stops."
        )
        if workers == 1:
            uvicorn.run(app, **options)
            return
    os.environ[ENV_STUDY], os.environ[ENV_OPTIONS] = str(study), json.dumps(settings)
    uvicorn.run("placebolab.cli.web:worker_app", factory=True, workers=workers, **options)


def _app(study, settings: dict):
    from placebolab.frontends.web.app import RateLimit, create_app

    limit = RateLimit(settings["enrol_limit"], settings["enrol_window"])
    return create_app(study, prolific=settings["prolific"], rate_limit=limit)  # its secret: study_secret


def worker_app():
    """The app of one worker process of `serve --workers N` (uvicorn imports and calls this). Each worker opens
    the study and reads the signing secret `serve` made in the study folder before starting them."""
    from placebolab.study import Study

    return _app(Study.open(os.environ[ENV_STUDY], writing=True, any_thread=True), json.loads(os.environ[ENV_OPTIONS]))
