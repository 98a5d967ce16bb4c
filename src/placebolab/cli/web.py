"""Commands of online sessions: personal links, and the server participants' browsers talk to."""

from __future__ import annotations

import csv
import os
import secrets
import sys

import click

#: What `serve` hands its worker processes (each opens the study itself): the study folder, the form secret.
ENV_STUDY, ENV_SECRET = "PLACEBOLAB_WEB_STUDY", "PLACEBOLAB_WEB_SECRET"


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
def serve(study, port, host, workers):
    """Serve STUDY's online sessions: participants open their personal links (`placebolab links`) in a browser."""
    try:
        import uvicorn

        from placebolab.frontends.web.app import create_app
    except ImportError as exc:
        raise click.ClickException(
            f"serving online sessions needs the web extra ({exc.name} is missing): pip install 'placebolab[web]'"
        ) from None
    from placebolab.store import SQLiteStore
    from placebolab.study import Study

    secret = secrets.token_bytes(32)  # signs the forms; shared by the workers of this server, new at each start
    options = {"host": host, "port": port, "access_log": False, "server_header": False}  # the log would hold tokens
    with Study.open(study, writing=True) as opened:
        if workers > 1 and isinstance(opened.store, SQLiteStore):
            raise click.UsageError(
                f"--workers {workers}: {opened.folder} keeps its store in SQLite, which one process writes at a time, "
                "so several workers would queue on its lock and a participant's answer could time out; serve it with "
                "one worker, or init the study on PostgreSQL (--store postgresql://…) to run several"
            )
        app = create_app(opened, secret=secret)  # refuses a protocol a browser cannot show, before anyone enrols
        click.echo(f"Serving {opened.name} on http://{host}:{port}/s/TOKEN with {workers} worker(s); Ctrl-C stops.")
        if workers == 1:
            uvicorn.run(app, **options)
            return
    os.environ[ENV_STUDY], os.environ[ENV_SECRET] = str(study), secret.hex()
    uvicorn.run("placebolab.cli.web:worker_app", factory=True, workers=workers, **options)


def worker_app():
    """The app of one worker process of `serve --workers N` (uvicorn imports and calls this)."""
    from placebolab.frontends.web.app import create_app
    from placebolab.study import Study

    return create_app(Study.open(os.environ[ENV_STUDY], writing=True), secret=bytes.fromhex(os.environ[ENV_SECRET]))
