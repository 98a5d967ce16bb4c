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

from placebolab import __version__
from placebolab.allocation import generate_slots
from placebolab.errors import StoreError
from placebolab.instruments import with_bank
from placebolab.protocol import Protocol, parse_protocol
from placebolab.store import DB_NAME, SQLiteStore


class Study:
    def __init__(self, folder: Path, store: SQLiteStore, protocol: Protocol, meta: dict[str, str]):
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
    def export_dir(self) -> Path:
        return self.folder / "export"

    @classmethod
    def init(cls, protocol_path: str | Path, folder: str | Path, seed: int | None = None) -> Study:
        """Validate the protocol, freeze it and its stimuli into a new store, generate the allocation list."""
        protocol_path, folder = Path(protocol_path), Path(folder)
        if (folder / DB_NAME).exists():
            raise StoreError(f"{folder} is already an initialised study; choose a new folder name")
        read: dict[str, bytes] = {}
        source = with_bank(lambda relative: (protocol_path.parent / relative).read_bytes())

        def read_file(relative: str) -> bytes:
            read[relative] = source(relative)  # bank instruments too: the study keeps the version it began with
            return read[relative]

        if not protocol_path.is_file():
            from placebolab.errors import ProtocolError

            raise ProtocolError(f"{protocol_path}: no such file; give the path of a protocol .yaml file")
        text = protocol_path.read_bytes()
        protocol = parse_protocol(text, str(protocol_path), read_file)
        if seed is None:
            seed = protocol.allocation.seed if protocol.allocation.seed is not None else secrets.randbits(63)
        meta = {
            "protocol_text": text.decode("utf-8"),
            "protocol_sha256": hashlib.sha256(text).hexdigest(),
            "bundle_sha256": _bundle_hash(text, read),
            "protocol_name": protocol.protocol,
            "protocol_version": protocol.version,
            "protocol_file": str(protocol_path),
            "seed": str(seed),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "package_version": __version__,
        }
        folder.mkdir(parents=True, exist_ok=True)
        store = SQLiteStore.create(folder / DB_NAME, meta, read, generate_slots(protocol, seed))
        (folder / "README.txt").write_text(_README.format(name=folder.name, protocol=protocol.title))
        return cls(folder, store, protocol, store.meta())

    @classmethod
    def open(cls, folder: str | Path) -> Study:
        folder = Path(folder)
        if not (folder / DB_NAME).is_file():
            raise StoreError(
                f"{folder} is not a study folder (no {DB_NAME}); create one with `placebolab init PROTOCOL {folder}`"
            )
        store = SQLiteStore.open(folder / DB_NAME)
        meta = store.meta()
        files = store.files()

        def read_file(relative: str) -> bytes:
            if relative not in files:
                raise FileNotFoundError(relative)
            return files[relative]

        protocol = parse_protocol(meta["protocol_text"].encode(), f"{folder / DB_NAME} (frozen protocol)", read_file)
        return cls(folder, store, protocol, meta)

    def media_file(self, info) -> Path:
        """The frozen copy of a media file (``MediaInfo``), extracted from the store into
        ``media-cache/<sha256>.<ext>`` for a frontend to play: never the researcher's own file, which may
        have changed since init. A cached copy is checked against its hash once per opening."""
        relative = f"{self.protocol.stimuli}/{info.path}" if self.protocol.stimuli else info.path
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
