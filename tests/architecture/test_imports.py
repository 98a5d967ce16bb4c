"""The import layers of pyproject.toml's [tool.importlinter] hold: no import circles (lazy imports inside
functions included), cli on top, store and components at the bottom, analysis apart from the store and the
protocol, frontends apart from the store. `make lint` runs the same contracts (lint-imports)."""

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def test_every_import_contract_is_kept(capsys):
    status = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert status == 0, capsys.readouterr().out
