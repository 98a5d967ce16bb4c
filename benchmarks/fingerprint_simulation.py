"""A fingerprint of everything a seeded simulated study stores and exports, with the clock and the study's
secrets fixed: one SHA-256 per store table (every row, every column, in the store's own order), per export
file, and of all of them together. A change meant to make the store or the session faster must leave it
identical; compare before and after:

    PYTHONPATH=src python benchmarks/fingerprint_simulation.py --save /tmp/before.json     # on the old code
    PYTHONPATH=src python benchmarks/fingerprint_simulation.py --compare /tmp/before.json  # on the new code

The exit code is 1 when ``--compare`` finds a difference (each differing table or file is named). Not a
benchmark (``run.py`` runs only ``bench_*.py``): the flagship protocol, 150 participants, seeds as in
``bench_simulate.py``.

The clock is fixed by replacing ``time.time`` (the virtual clock's start, ``RealClock``) and the
``datetime`` class of every loaded placebolab module (``now_iso``, ``created_at``, ``exported_at``) with
ones frozen at one moment; the study's random secrets (``secrets`` in ``placebolab.study``: the salt, the
blinding key's seed) with a seeded generator. The simulation's own draws come from its seed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from _util import REPO

PROTOCOL = REPO / "protocols" / "warmth-competence-itch.yaml"
EFFECTS = REPO / "protocols" / "effects" / "warmth-competence-itch.yaml"
STUDY_SEED = 20261125
SIM_SEED = 1
PARTICIPANTS = 150
FROZEN = datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=UTC)


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: D102 - the one moment, in the zone asked for
        return FROZEN if tz is None else FROZEN.astimezone(tz)

    @classmethod
    def utcnow(cls):
        return FROZEN.replace(tzinfo=None)


def _freeze() -> None:
    frozen = FROZEN.timestamp()
    time.time = lambda: frozen
    time.time_ns = lambda: int(frozen * 1e9)
    for name, module in list(sys.modules.items()):
        if name.startswith("placebolab") and getattr(module, "datetime", None) is datetime:
            module.datetime = _FrozenDatetime
    rng = random.Random(STUDY_SEED)
    fake = SimpleNamespace(
        randbits=rng.getrandbits,
        token_hex=lambda n=32: rng.randbytes(n).hex(),
        token_bytes=lambda n=32: rng.randbytes(n),
        token_urlsafe=lambda n=32: rng.randbytes(n).hex(),
    )
    import placebolab.study

    placebolab.study.secrets = fake


def _load_everything() -> None:
    """Import the modules that read the clock before freezing it (a module imported later keeps the real one)."""
    import placebolab.allocation.consort  # noqa: F401
    import placebolab.export  # noqa: F401
    import placebolab.export.folder  # noqa: F401
    import placebolab.export.formats  # noqa: F401
    import placebolab.export.tables  # noqa: F401
    import placebolab.simulation.model  # noqa: F401
    import placebolab.simulation.run  # noqa: F401
    import placebolab.store.base  # noqa: F401
    import placebolab.store.sqlite  # noqa: F401
    import placebolab.study  # noqa: F401


def _formats() -> tuple[str, ...]:
    formats = ["csv"]
    for module, fmt in (("pyarrow", "parquet"), ("pyreadstat", "sav")):
        try:
            __import__(module)
            formats.append(fmt)
        except ImportError:
            pass
    return tuple(formats)


def fingerprint(participants: int = PARTICIPANTS) -> dict:
    _load_everything()
    _freeze()
    from placebolab.export import export_study
    from placebolab.simulation.model import load_effects
    from placebolab.simulation.run import simulate_study
    from placebolab.study import Study

    with tempfile.TemporaryDirectory(prefix="placebolab-fingerprint-") as tmp_name:
        tmp = Path(tmp_name)
        study = Study.init(PROTOCOL, tmp / "study", seed=STUDY_SEED)
        simulate_study(study, participants, load_effects(EFFECTS, study.protocol), SIM_SEED)
        formats = _formats()
        out = export_study(study, tmp / "export", formats=formats)
        db_path = study.store.path
        study.close()
        result: dict = {"participants": participants, "formats": list(formats), "tables": {}, "exports": {}}
        db = sqlite3.connect(db_path)
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for name in names:
            digest = hashlib.sha256()
            count = 0
            # the store's own order for the tables it hands out (Store.rows), the primary key's for the others
            for row in db.execute(f"SELECT * FROM {name} ORDER BY {_order(db, name)}"):  # noqa: S608 - names from the file
                digest.update(json.dumps([_plain(v) for v in row]).encode() + b"\n")
                count += 1
            result["tables"][name] = {"rows": count, "sha256": digest.hexdigest()}
        db.close()
        for path in sorted(out.rglob("*")):
            if path.is_file():
                result["exports"][str(path.relative_to(out))] = hashlib.sha256(_content(path)).hexdigest()
    whole = json.dumps({k: result[k] for k in ("tables", "exports")}, sort_keys=True)
    result["sha256"] = hashlib.sha256(whole.encode()).hexdigest()
    return result


def _content(path: Path) -> bytes:
    """The file's bytes; a ``.sav`` file's header without the date and time it was written (the SPSS writer
    reads the C library's clock, which cannot be frozen from here: bytes 92-108, "02 Dec 2613:25:16")."""
    data = path.read_bytes()
    if path.suffix == ".sav":
        data = data[:92] + b"\0" * 17 + data[109:]
    return data


def _order(db: sqlite3.Connection, table: str) -> str:
    """The order rows were written in where the store keeps it (events: id; the others: their insertion
    order as ``Store.rows`` returns it), else the primary key."""
    from placebolab.store.sqlite import SQLiteStore

    if table in SQLiteStore._ORDER:
        return SQLiteStore._ORDER[table]
    columns = [(r[5], r[1]) for r in db.execute(f"PRAGMA table_info({table})") if r[5]]
    return ", ".join(name for _, name in sorted(columns)) or "rowid"


def _plain(value):
    if isinstance(value, bytes):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, float):
        return repr(value)  # every bit of it
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", type=Path, help="write the fingerprint (JSON) here")
    parser.add_argument("--compare", type=Path, help="compare with a fingerprint saved before; exit 1 if it differs")
    parser.add_argument("--participants", type=int, default=PARTICIPANTS)
    args = parser.parse_args()
    result = fingerprint(args.participants)
    if args.save:
        args.save.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        differ = [
            f"{kind} {name}: {before[kind].get(name)} → {result[kind].get(name)}"
            for kind in ("tables", "exports")
            for name in sorted(set(before[kind]) | set(result[kind]))
            if before[kind].get(name) != result[kind].get(name)
        ]
        for line in differ:
            print(line)
        print(f"{'identical' if not differ else 'DIFFERENT'}: {result['sha256']} (before {before['sha256']})")
        return 1 if differ else 0
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
