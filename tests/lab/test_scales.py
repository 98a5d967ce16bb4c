"""Every kind of scale in the window — continuous VAS, labelled Likert, 0–10 NRS — and a timed pause,
answered with real clicks and keys; the stored values are those given."""

from __future__ import annotations

import numpy as np
from PIL import Image

from placebolab.frontends.psychopy import layout

from ..cli.conftest import export
from .conftest import SCREEN, initialised

PROTOCOL = """\
protocol: lab-scales
version: 1.0.0
title: Every scale in the lab
factors:
  framing: {levels: [plain, warm]}
allocation: {scheme: complete, target_n: 10}
timeline:
  - {id: relief, type: rating, prompt: How much relief do you feel?, scale: vas-0-100, anchors: [none, complete]}
  - {id: agree, type: rating, prompt: The clinician understood me., scale: likert-5}
  - {id: pain, type: rating, prompt: How strong is the pain now?, scale: nrs-0-10}
  - {id: rest, type: pause, text: Please rest for a moment., duration: 1s}
"""


def rating_pixel(value, low, high):
    return layout.to_pixels(
        layout.value_x(value, low, high, layout.RATING_SLIDER_WIDTH), layout.RATING_SLIDER_Y, SCREEN
    )


def test_vas_likert_and_numeric_scales_store_what_was_clicked_and_typed(tmp_path, lab):
    (tmp_path / "lab-scales.yaml").write_text(PROTOCOL, encoding="utf-8")
    study = initialised(tmp_path, tmp_path / "lab-scales.yaml", 7)
    run = lab(study, "shots", "--participant", "S01")
    button = layout.to_pixels(0, layout.BUTTON_Y, SCREEN)

    run.screen("01-relief")
    run.click(rating_pixel(73, 0, 100))  # a VAS is continuous: 73 to the pixel (1 px = 0.125 points)
    run.key("Right", "Right")  # ← / → move a VAS by 1 point
    run.click(button)
    run.screen("02-agree")
    run.click(rating_pixel(4, 1, 5))  # 'agree', the fourth of five labels
    run.key("Return")
    run.screen("03-pain")
    run.type("10")
    run.key("Return")
    run.screen("04-rest")  # ends by itself after 1 s
    assert run.wait() == 0, run.output()

    tables = export(study)
    values = {r["step"]: float(r["value"]) for r in tables["long"]}
    assert abs(values["relief"] - 75) <= 0.2, values
    assert values["agree"] == 4 and values["pain"] == 10
    (rest,) = [r for r in tables["steps"] if r["step"] == "rest"]
    assert float(rest["duration"]) >= 1.0
    for name in ("01-relief", "02-agree", "03-pain", "04-rest"):
        pixels = np.asarray(Image.open(run.shots / f"{name}.png").convert("L"), dtype=float)
        assert pixels.std() > 5, f"{name}.png is blank"
