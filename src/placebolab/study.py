"""A study folder (``experiments/NAME``): the store, and the protocol frozen in it at init.

The study runs on the protocol text and stimulus files copied into the store at init, so editing
``protocols/`` mid-study cannot change what later participants see.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from placebolab import __version__
from placebolab.allocation import generate_slots
from placebolab.components.media import MEDIA_PROBES, frozen_probes
from placebolab.document.yaml_source import read_limited
from placebolab.errors import StoreError
from placebolab.instruments import with_bank
from placebolab.protocol import Protocol, parse_protocol
from placebolab.protocol.files import stimulus_key
from placebolab.store import DB_NAME, Link, SQLiteStore, Store
from placebolab.store.base import ChangeWatch, DiskSync, bundle_hash, list_commitment

#: A study folder whose store is on a server holds this file instead of study.db:
#:     [store]
#:     url = "postgresql://alice@db.lab.example/itch2026"
CONFIG_NAME = "study.toml"


class Study:
    """An open study; close it, or open it as ``with Study.open(folder) as study:``, to release its store."""

    def __init__(self, folder: Path, store: Store, protocol: Protocol, meta: dict[str, str]):
        self.folder = folder
        self.store = store
        self.protocol = protocol
        self.meta = meta

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def protocol_sha256(self) -> str:
        return self.meta["protocol_sha256"]

    @property
    def minimizer(self):
        """The Pocock–Simon rule when the protocol allocates by minimization, else None."""
        if self.protocol.allocation.scheme != "minimization":
            return None
        from placebolab.allocation.minimization import Minimizer

        return Minimizer(self.protocol.allocation, [c.id for c in self.protocol.cells])

    @property
    def export_dir(self) -> Path:
        return self.folder / "export"

    @classmethod
    def init(
        cls, protocol_path: str | Path, folder: str | Path, seed: int | None = None, store_url: str | None = None
    ) -> Study:
        """Validate the protocol, freeze it and its stimuli into a new store, generate and seal the allocation list.

        Parameters
        ----------
        store_url
            ``postgresql://user@host/database`` to keep the study on a server (several rooms or sites);
            default: ``study.db`` (SQLite) in ``folder``.
        """
        protocol_path, folder = Path(protocol_path), Path(folder)
        _refuse_existing(folder)
        if store_url is not None and not _is_postgres(store_url):
            raise StoreError(f"--store {store_url!r}: only postgresql://user@host:port/database URLs are supported")
        read: dict[str, bytes] = {}
        source = with_bank(lambda relative: (protocol_path.parent / relative).read_bytes())

        def read_file(relative: str) -> bytes:
            read[relative] = source(relative)  # bank instruments too: the study keeps the version it began with
            return read[relative]

        if not protocol_path.is_file():
            from placebolab.errors import ProtocolError

            raise ProtocolError(f"{protocol_path}: no such file; give the path of a protocol .yaml file")
        text = read_limited(protocol_path)
        protocol = parse_protocol(text, str(protocol_path), read_file, folder=protocol_path.parent)
        if seed is None:
            seed = protocol.allocation.seed if protocol.allocation.seed is not None else secrets.randbits(63)
        meta = {
            "protocol_text": text.decode("utf-8"),
            "protocol_sha256": hashlib.sha256(text).hexdigest(),
            "bundle_sha256": bundle_hash(text, read),
            "protocol_name": protocol.protocol,
            "protocol_version": protocol.version,
            "protocol_file": str(protocol_path),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "package_version": __version__,
        }
        meta.update(_station_rules(protocol))
        if protocol._media:  # probed once, here: opening the study reads these instead of running ffmpeg again
            meta[MEDIA_PROBES] = json.dumps(frozen_probes(protocol._media.values()), sort_keys=True)
        slots = generate_slots(protocol, seed)
        from placebolab.export.blinding import new_blinding_key

        key = new_blinding_key(protocol, np.random.default_rng(secrets.randbits(128)))  # not from the list's seed
        sealed = {"seed": str(seed), "salt": secrets.token_hex(32), "blinding_key": json.dumps(key)}
        meta["list_sha256"] = list_commitment(sealed["salt"], slots)
        readme = _README.format(name=folder.name, protocol=protocol.title)
        store: Store
        if store_url is None:
            with _new_folder(folder) as building:
                SQLiteStore.create(building / DB_NAME, meta, sealed, read, slots)
                (building / "README.txt").write_text(readme)
            store = SQLiteStore.open(folder / DB_NAME)
        else:
            from placebolab.store.postgres import PostgresStore

            store = PostgresStore.create(store_url, meta, sealed, read, slots)  # before the folder: nothing half-made
            try:
                with _new_folder(folder) as building:
                    (building / CONFIG_NAME).write_text(_config_text(store_url))
                    (building / "README.txt").write_text(readme)
            except BaseException:
                store.close()
                raise
        return cls(folder, store, protocol, store.meta())

    @classmethod
    def open(cls, folder: str | Path, writing: bool = False, any_thread: bool = False) -> Study:
        """Open a study folder; ``writing`` (to run or simulate participants): check now that its store
        is intact, before any question is asked (it is checked before the first write in any case).
        ``any_thread``: the web server's opening, whose store (SQLite) may be used from another thread.
        Media files are not probed again: init's measurements are read from the store (a study made
        before they were kept is probed as then)."""
        folder = Path(folder)
        store = open_store(folder, writing, any_thread)
        try:
            return cls._from_store(folder, store)
        except BaseException:
            store.close()  # a damaged store or frozen protocol: release the store, then say what is wrong
            raise

    @classmethod
    def _from_store(cls, folder: Path, store: Store) -> Study:
        meta = store.meta()
        files = store.files()

        def read_file(relative: str) -> bytes:
            if relative not in files:
                raise FileNotFoundError(relative)
            return files[relative]

        name = f"{store.describe()} (frozen protocol)"
        protocol = parse_protocol(
            meta["protocol_text"].encode(), name, read_file, frozen=True, media_probes=_media_probes(meta)
        )
        return cls(folder, store, protocol, meta)

    def media_file(self, info) -> Path:
        """The frozen copy of a media file (``MediaInfo``), extracted from the store into
        ``media-cache/<sha256>.<ext>`` for a frontend to play: never the researcher's own file, which may
        have changed since init. A cached copy is checked against its hash once per opening."""
        relative = stimulus_key(self.protocol.stimuli, info.path)
        cache = self.folder / "media-cache"
        target = cache / f"{info.sha256}{Path(info.path).suffix.lower()}"
        checked = self.__dict__.setdefault("_media_checked", set())
        if target in checked:
            return target
        if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != info.sha256:
            content = self.store.file(relative)
            if content is None or hashlib.sha256(content).hexdigest() != info.sha256:
                raise StoreError(f"media file '{info.path}' is not frozen in {self.folder}; the study store is damaged")
            cache.mkdir(exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(content)
            partial.replace(target)  # atomic: a frontend never sees half a file
        checked.add(target)
        return target

    def new_links(self, count: int) -> list[tuple[str, str]]:
        """``count`` new single-use personal links for online sessions: (token, participant ID) each. A token
        is 256 random bits; the store keeps only its SHA-256, so it is shown here once and never again."""
        tokens = [secrets.token_urlsafe(32) for _ in range(count)]
        ids = self.store.add_links([link_hash(token) for token in tokens])
        return list(zip(tokens, ids, strict=True))

    def link_participant(self, token: str) -> str | None:
        """The participant ID a personal link's token stands for; None for a token no link has."""
        return self.store.link_participant(link_hash(token))

    def claim_link(self, token: str, prefix: str) -> str:
        """The participant ID of a general link's token (e.g. one derived from a Prolific ID), made now if
        no link has it: one participant per token, however many ask at once (``Store.claim_link``)."""
        return self.store.claim_link(link_hash(token), prefix)

    def link(self, token: str) -> Link | None:
        """A personal link's participant, their latest correction (withdrawn: the link no longer works) and their
        session's state, in one read of the store (``Store.link``); None for a token no link has."""
        return self.store.link(link_hash(token), self.protocol.decline_keys)

    def watch_changes(self) -> ChangeWatch | None:
        """``Store.watch_changes``: what other connections commit, for whom (None: the store cannot tell cheaply)."""
        return self.store.watch_changes()

    def group_commit(self) -> DiskSync | None:
        """``Store.group_commit``: commits return before they are on the disk, to be synced together (a web server)."""
        return self.store.group_commit()

    def link_active(self, participant_id: str) -> bool:
        """Whether a participant's link still works: not once their latest correction is a withdrawal."""
        return self.store.latest_correction(participant_id) != "withdrawn"

    def decline_consent(self, participant_id: str, detail: dict[str, Any]) -> None:
        """Log a link's participant declining consent before enrolment (``Store.decline_consent``)."""
        self.store.decline_consent(participant_id, detail)

    def consent_declined(self, participant_id: str) -> bool:
        """Whether a link's participant declined consent before enrolment: their link shows the thank-you page."""
        return self.store.consent_declined(participant_id)

    @property
    def logs_declines(self) -> bool:
        """Whether a consent declined before enrolment can be logged (``Store.logs_declines``)."""
        return self.store.logs_declines

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def link_hash(token: str) -> str:
    """What the store keeps of a personal link's token: its SHA-256 (hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _media_probes(meta: dict[str, str]) -> dict | None:
    """What init measured of the media files, by sha256; None (probe them) for a study made before
    these were kept, or when the record is unreadable (the audit names that)."""
    try:
        probes = json.loads(meta[MEDIA_PROBES])
    except (KeyError, ValueError):
        return None
    return probes if isinstance(probes, dict) else None


def open_store(folder: Path, writing: bool = False, any_thread: bool = False) -> Store:
    """The store of a study folder: the server named in its study.toml, else its study.db (``any_thread``:
    ``SQLiteStore.open``'s)."""
    config = folder / CONFIG_NAME
    if config.is_file():
        from placebolab.store.postgres import PostgresStore

        return PostgresStore.open(_store_url(config))
    if not (folder / DB_NAME).is_file():
        raise StoreError(
            f"{folder} is not a study folder (no {DB_NAME} or {CONFIG_NAME}); "
            f"create one with `placebolab init PROTOCOL {folder}`"
        )
    return SQLiteStore.open(folder / DB_NAME, writing, any_thread)


def _refuse_existing(folder: Path) -> None:
    """init makes a new folder: refuse a study, or anything else, already there (an empty folder is fine)."""
    if (folder / DB_NAME).exists() or (folder / CONFIG_NAME).exists():
        raise StoreError(f"{folder} already exists: it is already an initialised study; choose a new folder name")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise StoreError(f"{folder} already exists and is not an empty folder; choose a new folder name")


@contextmanager
def _new_folder(folder: Path):
    """Build a new study folder under a unique temporary name beside it, then rename it into place whole.

    Of two inits into one folder at once, one renames first and the other is told the folder already
    exists; a crash leaves only a hidden ``.NAME.init-…`` folder beside it, which blocks nothing."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        building = folder.with_name(f".{folder.name}.init-{uuid.uuid4().hex[:12]}")
        building.mkdir()  # not tempfile.mkdtemp: the study folder keeps the usual permissions (umask)
    except OSError as exc:
        raise StoreError(f"cannot create the study folder {folder}: {exc.strerror or exc}") from None
    try:
        yield building
        try:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()  # an empty folder made beforehand (a rename replaces none on Windows)
            os.rename(building, folder)  # atomic; refused when the folder exists by now
        except OSError as exc:
            if folder.exists():
                raise StoreError(
                    f"{folder} already exists (made while this init ran); choose a new folder name"
                ) from None
            raise StoreError(f"cannot create the study folder {folder}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


def _store_url(config: Path) -> str:
    import tomllib

    try:
        url = tomllib.loads(config.read_text())["store"]["url"]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise StoreError(f'{config}: {exc}; it must hold [store] and url = "postgresql://user@host/database"') from None
    if not isinstance(url, str) or not _is_postgres(url):
        raise StoreError(f"{config}: store.url must be a postgresql:// URL, not {url!r}")
    return url


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def _config_text(url: str) -> str:
    from placebolab.store.postgres import without_password

    return (
        "# This study's store is on a PostgreSQL server. Each station's copy of this folder names its own\n"
        "# login here; passwords belong in ~/.pgpass or PGPASSWORD, not in this file.\n"
        f'[store]\nurl = "{without_password(url)}"\n'
    )


def _station_rules(protocol: Protocol) -> dict[str, str]:
    """What a PostgreSQL server checks a station against (store/postgres.sql): each cell's step keys
    (a session completes only when all are recorded) and the minimization rule (the server scores
    the cells itself)."""
    from placebolab.allocation.minimization import Minimizer
    from placebolab.session import plan

    cells = [c.id for c in protocol.cells]
    rules = {"plan": json.dumps({cell: [o.key for o in plan(protocol, cell)] for cell in cells})}
    if protocol.allocation.scheme == "minimization":
        m = Minimizer(protocol.allocation, cells)
        rules["minimization"] = json.dumps(
            {
                "cells": m.cells,
                "factors": m.factors,
                "weights": m.weights,
                "ratio": m.ratio,
                "imbalance": m.imbalance,
                "p_preferred": m.p_preferred,
            }
        )
    return rules


_README = """Study {name}: {protocol}

study.db     the study store (SQLite): frozen protocol and stimuli, allocation list, participants,
             every response and event. Do not edit it by hand; back it up (copy while no session runs).
export/      tables written by `placebolab export`
report.html  written by `placebolab analyze`
media-cache/ media files extracted from the store for the frontends (safe to delete; made again)
"""
