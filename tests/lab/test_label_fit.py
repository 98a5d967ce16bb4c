"""Scale labels laid out by measured width (layout.fit_labels), with a stand-in measure (each character
half a letter height wide): wrapped only between words, shrunk before staggered, never overlapping."""

from __future__ import annotations

import itertools

from placebolab.frontends.psychopy import layout


def measure(text: str, height: float) -> float:
    return len(text) * height / 2


def line_height(height: float) -> float:
    return 1.4 * height


def xs(points: int, width: float = 0.9) -> list[float]:
    return [layout.value_x(v, 1, points, width) for v in range(1, points + 1)]


def assert_apart(fitted: layout.LabelLayout) -> None:
    boxes = []
    for label in fitted.labels:
        half = max(measure(line, fitted.height) for line in label.lines) / 2
        boxes.append((label.row, label.x - half, label.x + half))
    for (row_a, left_a, right_a), (row_b, left_b, right_b) in itertools.combinations(boxes, 2):
        if row_a == row_b:
            assert right_a + layout.LABEL_GAP - 1e-9 <= left_b or right_b + layout.LABEL_GAP - 1e-9 <= left_a


def test_short_labels_stay_in_one_row_at_full_size():
    fitted = layout.fit_labels(["no", "yes"], xs(2), measure, line_height, room=0.1, edge=0.8)
    assert fitted.fits and fitted.height == layout.LABEL_HEIGHT and fitted.rows == (1,)
    assert [label.lines for label in fitted.labels] == [("no",), ("yes",)]


def test_long_labels_wrap_between_words_evenly_and_shrink_before_staggering():
    labels = ["strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree"]
    fitted = layout.fit_labels(labels, xs(5), measure, line_height, room=0.1, edge=0.8)
    assert fitted.fits and {label.row for label in fitted.labels} == {0}
    for label, text in zip(fitted.labels, labels, strict=True):
        assert " ".join(label.lines) == text  # only broken between words
    assert ("neither agree", "nor disagree") in [label.lines for label in fitted.labels]  # evenly
    assert_apart(fitted)


def test_labels_too_wide_for_one_row_are_staggered_over_two():
    labels = [f"extraordinarily{n}" for n in range(9)]  # one long word each: cannot wrap
    fitted = layout.fit_labels(labels, xs(9), measure, line_height, room=0.2, edge=0.8)
    assert fitted.fits and [label.row for label in fitted.labels] == [0, 1] * 4 + [0]
    assert len(fitted.rows) == 2
    assert_apart(fitted)


def test_a_word_wider_than_any_room_is_flagged_not_broken():
    fitted = layout.fit_labels(["x" * 200, "y" * 200, "z"], xs(3), measure, line_height, room=0.2, edge=0.8)
    assert not fitted.fits
    assert [label.lines for label in fitted.labels] == [("x" * 200,), ("y" * 200,), ("z",)]
