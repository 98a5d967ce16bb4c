"""The batch F statistics equal, study for study, those statsmodels computes on the same simulated data.

A handful of studies is drawn with ``draw_studies`` (the random numbers ``simulate_power`` uses), each is
rebuilt as a data frame (y = mean + sd · z; the baseline x = z_baseline) and fitted with statsmodels:
Type III ANOVA with sum-to-zero coding for main effects and interactions (``anova_lm(typ=3)``, the
SPSS/JASP default), ``f_test`` of the cell-means contrasts for simple effects (emmeans' joint_tests
``by``), and the same with the baseline as a covariate for the ANCOVA rows.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from placebolab.power.design import make_design
from placebolab.power.simulate import draw_studies, f_statistics, outcome_z

CASES = {
    "balanced 2x2": ([[20, 20], [20, 25]], 5, 20, None),
    "unbalanced 2x2": ([[28, 38], [40, 45]], 15, [12, 30, 25, 8], None),
    "unbalanced 2x2 ANCOVA": ([[28, 38], [40, 45]], 15, [12, 30, 25, 8], 0.7),
    "unbalanced 2x3 ANCOVA": ([[10, 12, 15], [11, 11, 11]], 4, [5, 7, 6, 9, 4, 8], 0.5),
}
STUDIES = 4


def _frame(design, cells, study, r):
    rows = []
    levels = list(itertools.product(*design.factors.values()))
    for index, (draws, combo) in enumerate(zip(cells, levels, strict=True)):
        y = design.means[index] + design.sd * outcome_z(draws, r)[study]
        frame = pd.DataFrame({"y": y, "cell": "/".join(combo)})
        for name, level in zip(design.factors, combo, strict=True):
            frame[name] = level
        if draws.baseline is not None:
            frame["x"] = 50 + 10 * draws.baseline[study]  # any location and scale: the F does not change
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def _reference(design, data, with_baseline):
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    covariate = " + x" if with_baseline else ""
    terms = " * ".join(f"C({name}, Sum)" for name in design.factors)
    table = anova_lm(smf.ols(f"y ~ {terms}{covariate}", data).fit(), typ=3)
    found = {}
    for effect in design.effects():
        if effect.kind == "simple":
            continue
        source = ":".join(f"C({name}, Sum)" for name in effect.name.split(" * "))
        found[effect.name] = table.loc[source, "F"]
    # simple effects: contrasts on the cell means of a cell-means model (one coefficient per cell, in order)
    data = data.assign(cell=pd.Categorical(data["cell"], categories=design.cells))
    cell_model = smf.ols(f"y ~ 0 + C(cell){covariate}", data).fit()
    extra = 1 if with_baseline else 0
    for effect in design.effects():
        if effect.kind == "simple":
            matrix = np.hstack([effect.contrasts, np.zeros((effect.df, extra))])
            found[effect.name] = float(np.squeeze(cell_model.f_test(matrix).fvalue))
    return found


@pytest.mark.parametrize("case", CASES)
def test_batch_f_equals_statsmodels_study_for_study(case):
    means, sd, n, r = CASES[case]
    design = make_design(means, sd, n)
    cells = draw_studies(design, STUDIES, np.random.default_rng(7), with_baseline=r is not None)
    batch = f_statistics(design, cells, r)
    analysis = "ANCOVA" if r is not None else "ANOVA"
    for study in range(STUDIES):
        data = _frame(design, cells, study, r)
        reference = _reference(design, data, with_baseline=r is not None)
        assert set(reference) == {e.name for e in design.effects()}
        for name, f_value in reference.items():
            assert batch[(analysis, name)][study] == pytest.approx(f_value, rel=1e-9), (study, name)
        if r is not None:  # the unadjusted ANOVA rows of the same studies, without the covariate
            plain = _reference(design, data.drop(columns="x"), with_baseline=False)
            for name, f_value in plain.items():
                assert batch[("ANOVA", name)][study] == pytest.approx(f_value, rel=1e-9), (study, name)
