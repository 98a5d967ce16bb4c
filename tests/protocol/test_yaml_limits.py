"""A protocol file is untrusted: an alias bomb, deep nesting or a huge file is refused (exit 3, file:line) before
anything is built from it, while ordinary anchors and aliases still work."""

from __future__ import annotations

import subprocess
import sys

import pytest

from placebolab.document.yaml_source import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_VALUES, read_yaml
from placebolab.errors import EffectsError, ProtocolError
from placebolab.protocol import load_protocol

from .bad import copy_flagship, replace_once

# 447 bytes that expand to 9**9 (387 million) strings: "billion laughs".
BOMB = "protocol: bomb\n" + "\n".join(
    [
        'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)),
    ]
)

# The guard the bomb runs under: today's loader needs minutes and gigabytes for it, so without the limit the
# subprocess dies of memory or CPU (exit 1 "internal error: MemoryError", or a signal) instead of exit 3.
GUARD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
resource.setrlimit(resource.RLIMIT_CPU, (30, 30))
from placebolab.cli import main
sys.argv = ["placebolab", "validate", sys.argv[1]]
main()
"""


def test_a_billion_laughs_file_is_refused_before_it_expands(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    result = subprocess.run(
        [sys.executable, "-c", GUARD, str(bomb)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 3, result.stderr[-500:]
    assert "Traceback" not in result.stderr
    # line 6: the first alias of &a5 is where the expansion passes 10,000 values
    assert result.stderr.splitlines() == [
        f"error: {bomb}:6:10: the aliases (`*name`) expand to more than 10,000 values by this line; a protocol "
        "needs only a few aliases — write the values out or reuse fewer (a file built to expand like this is an "
        "attack, not a protocol)"
    ]


def test_more_aliases_than_the_budget_are_refused_even_when_each_is_small():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ProtocolError) as caught:
        read_yaml(text.encode(), "many.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.message.split(";")[0]) == (
        2,
        f"more than {MAX_ALIASES} aliases (`*name`) are used by this line",
    )


def test_an_alias_inside_the_value_it_names_is_refused():
    with pytest.raises(ProtocolError) as caught:
        read_yaml(b"protocol: x\nloop: &loop [a, *loop]\n", "loop.yaml")
    assert str(caught.value) == "loop.yaml:2:17: alias *loop stands inside the value it names, which never ends"


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("lists", "protocol: deep\nx: " + "[" * 5000 + "]" * 5000 + "\n"),
        ("flow mappings", "protocol: deep\nx: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"),
        (
            "block mappings",
            "protocol: deep\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(300)) + "  " * 300 + "end: 1\n",
        ),
    ],
)
def test_deep_nesting_is_refused_at_the_line_it_goes_too_deep(tmp_path, kind, text):
    protocol = tmp_path / "deep.yaml"
    protocol.write_text(text)
    with pytest.raises(ProtocolError) as caught:  # today: RecursionError, "internal error"
        load_protocol(protocol)
    (problem,) = caught.value.problems
    assert problem.file == str(protocol)
    assert f"nested more than {MAX_DEPTH} deep" in problem.message
    # the 51st list or mapping opens there (block mapping n ≥ 2, holding key k{n-1}, starts on line n + 1)
    assert problem.line == (2 if kind != "block mappings" else MAX_DEPTH + 2)


def test_nesting_up_to_the_limit_is_read():
    data, _ = read_yaml(b"x: " + b"[" * (MAX_DEPTH - 1) + b"1" + b"]" * (MAX_DEPTH - 1), "ok.yaml")
    for _ in range(MAX_DEPTH - 1):
        data = data[0] if isinstance(data, list) else data["x"]
    assert data == [1] or data == 1


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(tmp_path):
    protocol = copy_flagship(tmp_path)
    with protocol.open("a") as file:
        file.write(("# padding\n") * (MAX_BYTES // 10 + 1))
    with pytest.raises(ProtocolError) as caught:
        load_protocol(protocol)
    assert str(caught.value) == (
        f"{protocol}: is larger than 100 kB; placebolab reads protocol and effects files of at most 100,000 bytes "
        "(a protocol is a few kilobytes of text: is this the right file?)"
    )


def test_a_file_of_more_values_than_any_protocol_is_refused_before_it_is_built():
    text = "protocol: many\nx:\n" + "".join(f"  - {i}\n" for i in range(MAX_VALUES))
    with pytest.raises(ProtocolError) as caught:
        read_yaml(text.encode(), "many.yaml")
    (problem,) = caught.value.problems
    # the mapping, `protocol`, `many`, `x` and the list are 5 values, so value MAX_VALUES + 1 is item
    # MAX_VALUES - 5 (counting from 0), which stands on line 3 + its index
    assert problem.line == 3 + MAX_VALUES - 5
    assert problem.message.startswith(f"the file holds more than {MAX_VALUES:,} values")


def test_an_effects_file_has_the_same_limits(tmp_path):
    from placebolab.simulation.model import load_effects

    effects = tmp_path / "effects.yaml"
    effects.write_text("measures:\n  itch_post: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(EffectsError) as caught:
        load_effects(effects, protocol=None)
    assert (caught.value.problems[0].line, caught.value.problems[0].file) == (2, str(effects))
    assert f"nested more than {MAX_DEPTH} deep" in caught.value.problems[0].message


def test_each_limit_exits_3_with_one_line_through_the_cli(tmp_path):
    cases = {
        "deep.yaml": "protocol: deep\nx: " + "[" * 500 + "]" * 500 + "\n",
        "aliases.yaml": "a: &a x\nb: [" + ", ".join(["*a"] * 200) + "]\n",
        "big.yaml": "protocol: big\n" + "# padding\n" * (MAX_BYTES // 10),
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        result = subprocess.run(
            [sys.executable, "-m", "placebolab.cli", "validate", str(tmp_path / name)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 3, (name, result.stderr)
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"error: {tmp_path / name}:"), line


def test_ordinary_anchors_and_aliases_still_work(tmp_path):
    protocol = copy_flagship(tmp_path)
    text = protocol.read_text()
    first = text.index("anchors: [no itch at all, worst itch imaginable]")
    text = (
        text[:first]
        + "anchors: &itch_ends [no itch at all, worst itch imaginable]"
        + text[first + len("anchors: [no itch at all, worst itch imaginable]") :]
    )
    protocol.write_text(text)
    replace_once(protocol, "anchors: [no itch at all, worst itch imaginable]", "anchors: *itch_ends")
    loaded = load_protocol(protocol)
    rated = [step for step in loaded.timeline if getattr(step, "anchors", None)]
    assert len(rated) == 2
    assert rated[0].anchors == rated[1].anchors == ["no itch at all", "worst itch imaginable"]
