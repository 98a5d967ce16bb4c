"""``placebolab new``: a protocol and its stimuli copied from an example, renamed, valid as made."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from placebolab.cli import main
from placebolab.protocol import load_protocol
from tests.conftest import ROOT


def _project(tmp_path):
    shutil.copytree(ROOT / "protocols", tmp_path / "protocols")
    shutil.copytree(ROOT / "stimuli", tmp_path / "stimuli")
    return tmp_path


def test_new_copies_the_example_and_the_copy_validates(tmp_path):
    root = _project(tmp_path)
    result = CliRunner().invoke(main, ["new", "itch-pilot", "--dir", str(root)])
    assert result.exit_code == 0, result.output
    made = root / "protocols" / "itch-pilot.yaml"
    protocol = load_protocol(made)
    assert protocol.protocol == "itch-pilot"
    assert protocol.stimuli == "../stimuli/itch-pilot"
    assert (root / "stimuli" / "itch-pilot" / "clinician.md.j2").is_file()
    assert (root / "protocols" / "effects" / "itch-pilot.yaml").is_file()


def test_new_from_a_chosen_example(tmp_path):
    root = _project(tmp_path)
    example = sorted(p.stem for p in (root / "protocols").glob("*.yaml"))[-1]
    result = CliRunner().invoke(main, ["new", "mine", "--from", example, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    original, copy = (
        load_protocol(root / "protocols" / f"{example}.yaml"),
        load_protocol(root / "protocols" / "mine.yaml"),
    )
    assert [c.id for c in copy.cells] == [c.id for c in original.cells]
    assert [s.id for s in copy.timeline] == [s.id for s in original.timeline]


def test_new_never_overwrites(tmp_path):
    root = _project(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["new", "twice", "--dir", str(root)]).exit_code == 0
    before = (root / "protocols" / "twice.yaml").read_text()
    (root / "protocols" / "twice.yaml").write_text(before + "# my edits\n")
    result = runner.invoke(main, ["new", "twice", "--dir", str(root)])
    assert result.exit_code == 4
    assert "already exists" in result.output
    assert (root / "protocols" / "twice.yaml").read_text().endswith("# my edits\n")


def test_new_with_an_unknown_example_lists_the_examples(tmp_path):
    root = _project(tmp_path)
    result = CliRunner().invoke(main, ["new", "x", "--from", "warmth-competense-itch", "--dir", str(root)])
    assert result.exit_code == 3
    assert "no example protocol 'warmth-competense-itch'" in result.output and "warmth-competence-itch" in result.output
    assert not (root / "protocols" / "x.yaml").exists()


def test_new_refuses_a_name_that_is_not_one(tmp_path):
    result = CliRunner().invoke(main, ["new", "my study", "--dir", str(_project(tmp_path))])
    assert result.exit_code == 3 and "not a protocol name" in result.output


def test_schema_command_writes_json(tmp_path):
    out = tmp_path / "protocol.schema.json"
    result = CliRunner().invoke(main, ["schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import json

    assert json.loads(out.read_text())["properties"]["timeline"]


def test_instruments_command_lists_the_bank_and_shows_one():
    runner = CliRunner()
    listing = runner.invoke(main, ["instruments"])
    assert listing.exit_code == 0 and "ceq" in listing.output and "care" in listing.output
    shown = runner.invoke(main, ["instruments", "ceq"])
    assert "Devilly" in shown.output and "improve_think" in shown.output
    assert runner.invoke(main, ["instruments", "cqe"]).exit_code == 3


def test_new_from_an_example_whose_stimuli_lie_outside_its_project_copies_nothing(tmp_path):
    root = _project(tmp_path / "project")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "id_rsa").write_text("SECRET")
    example = tmp_path / "project" / "downloads" / "shared.yaml"
    example.parent.mkdir()
    example.write_text(
        (ROOT / "protocols" / "warmth-competence-itch.yaml")
        .read_text()
        .replace("stimuli: ../stimuli/warmth-competence-itch", "stimuli: ../../private")
    )
    result = CliRunner().invoke(main, ["new", "mine", "--from", str(example), "--dir", str(root)])
    assert result.exit_code == 3, result.output
    assert "'../../private' leads to" in result.stderr and "outside the protocol's project" in result.stderr
    assert not (root / "stimuli" / "mine").exists() and not (root / "protocols" / "mine.yaml").exists()


def test_new_keeps_a_link_in_the_example_a_link_and_validate_refuses_it(tmp_path):
    root = _project(tmp_path / "project")
    (tmp_path / "secret.md").write_text("SECRET")
    welcome = root / "stimuli" / "warmth-competence-itch" / "welcome.md"
    welcome.unlink()
    welcome.symlink_to(tmp_path / "secret.md")
    result = CliRunner().invoke(main, ["new", "mine", "--dir", str(root)])
    assert result.exit_code == 0, result.output
    assert (root / "stimuli" / "mine" / "welcome.md").is_symlink()
    result = CliRunner().invoke(main, ["validate", str(root / "protocols" / "mine.yaml")])
    assert result.exit_code == 3
    assert "'welcome.md' is outside the stimuli folder '../stimuli/mine' (it is a link to" in result.stderr


def _installed_package(tmp_path):
    """An installed placebolab's layout, as setup.py builds the wheel: the example protocols and their stimuli
    under site-packages/placebolab/examples/, and no repository anywhere above it."""
    package = tmp_path / "site-packages" / "placebolab"
    for folder in ("protocols", "stimuli"):
        shutil.copytree(ROOT / folder, package / "examples" / folder)
    return package


def test_an_installed_placebolab_finds_its_examples_in_the_package_and_a_checkout_in_the_repository(tmp_path):
    from placebolab.authoring.scaffold import example_folder

    package = _installed_package(tmp_path)
    assert example_folder(package) == package / "examples"
    assert example_folder() == ROOT  # this checkout: src/placebolab, beside the top-level protocols/
    assert example_folder(tmp_path / "elsewhere" / "src" / "placebolab") is None


def test_new_from_a_shipped_example_works_outside_the_repository(tmp_path, monkeypatch):
    """From an unrelated folder, with only the installed package's examples to copy from (the repository's
    protocols/ out of reach): `new NAME --from EXAMPLE --dir ELSEWHERE` makes a project that validates."""
    from placebolab.authoring import scaffold

    monkeypatch.setattr(scaffold, "PACKAGE", _installed_package(tmp_path), raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["new", "bowel", "--from", "ibs-three-arm", "--dir", "lab/project"])
    assert result.exit_code == 0, result.output
    project = tmp_path / "lab" / "project"
    protocol = load_protocol(project / "protocols" / "bowel.yaml")
    assert protocol.protocol == "bowel" and protocol.stimuli == "../stimuli/bowel"
    assert sorted(p.name for p in (project / "stimuli" / "bowel").iterdir()) == sorted(
        p.name for p in (ROOT / "stimuli" / "ibs-three-arm").iterdir()
    )
    assert (project / "protocols" / "effects" / "bowel.yaml").is_file()

    unknown = CliRunner().invoke(main, ["new", "x", "--from", "ibs-four-arm", "--dir", "lab/project"])
    assert unknown.exit_code == 3 and "ibs-three-arm" in unknown.output and "warmth-competence-itch" in unknown.output
