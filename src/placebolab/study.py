"""A study folder (``experiments/NAME``): the store, and the protocol frozen in it at init.

The study runs on the protocol text and stimulus files copied into the store at init, so editing
``protocols/`` mid-study cannot change what later participants see.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from placebolab import __version__
from placebolab.allocation import generate_slots
from placebolab.errors import StoreError
from placebolab.instruments import with_bank
from placebolab.protocol import Protocol, parse_protocol
from placebolab.protocol.files import stimulus_key
from placebolab.protocol.yaml_source import read_limited
from placebolab.store import DB_NAME, SQLiteStore, Store
from placebolab.store.base import list_commitment

#: A study folder whose store is on a server holds this file instead of study.db:
#:     [store]
#:     url = "postgresql://alice@db.lab.example/itch2026"
CONFIG_NAME = "study.toml"


class Study:
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
        if (folder / DB_NAME).exists() or (folder / CONFIG_NAME).exists():
            raise StoreError(f"{folder} is already an initialised study; choose a new folder name")
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
            "bundle_sha256": _bundle_hash(text, read),
            "protocol_name": protocol.protocol,
            "protocol_version": protocol.version,
            "protocol_file": str(protocol_path),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "package_version": __version__,
        }
        slots = generate_slots(protocol, seed)
        from placebolab.export.blinding import new_blinding_key

        key = new_blinding_key(protocol, np.random.default_rng(secrets.randbits(128)))  # not from the list's seed
        sealed = {"seed": str(seed), "salt": secrets.token_hex(32), "blinding_key": json.dumps(key)}
        meta["list_sha256"] = list_commitment(sealed["salt"], slots)
        if store_url is None:
            folder.mkdir(parents=True, exist_ok=True)
            store = SQLiteStore.create(folder / DB_NAME, meta, sealed, read, slots)
        else:
            from placebolab.store.postgres import PostgresStore

            store = PostgresStore.create(store_url, meta, sealed, read, slots)  # before the folder: nothing half-made
            folder.mkdir(parents=True, exist_ok=True)
            (folder / CONFIG_NAME).write_text(_config_text(store_url))
        (folder / "README.txt").write_text(_README.format(name=folder.name, protocol=protocol.title))
        return cls(folder, store, protocol, store.meta())

    @classmethod
    def open(cls, folder: str | Path) -> Study:
        folder = Path(folder)
        store = open_store(folder)
        meta = store.meta()
        files = store.files()

        def read_file(relative: str) -> bytes:
            if relative not in files:
                raise FileNotFoundError(relative)
            return files[relative]

        protocol = parse_protocol(meta["protocol_text"].encode(), f"{store.describe()} (frozen protocol)", read_file)
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

    def close(self) -> None:
        self.store.close()


def open_store(folder: Path) -> Store:
    """The store of a study folder: the server named in its study.toml, else its study.db."""
    config = folder / CONFIG_NAME
    if config.is_file():
        from placebolab.store.postgres import PostgresStore

        return PostgresStore.open(_store_url(config))
    if not (folder / DB_NAME).is_file():
        raise StoreError(
            f"{folder} is not a study folder (no {DB_NAME} or {CONFIG_NAME}); "
            f"create one with `placebolab init PROTOCOL {folder}`"
        )
    return SQLiteStore.open(folder / DB_NAME)


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


def _bundle_hash(protocol_text: bytes, files: dict[str, bytes]) -> str:
    """One hash of the protocol and every stimulus file it uses: what the study is, exactly."""
    digest = hashlib.sha256(protocol_text)
    listing = {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}
    digest.update(json.dumps(listing, sort_keys=True).encode())
    return digest.hexdigest()


_README = """Study {name}: {protocol}

study.db     the study store (SQLite): frozen protocol and stimuli, allocation list, participants,
             every response and event. Do not edit it by hand; back it up (copy while no session runs).
export/      tables written by `placebolab export`
report.html  written by `placebolab analyze`
media-cache/ media files extracted from the store for the frontends (safe to delete; made again)
"""
