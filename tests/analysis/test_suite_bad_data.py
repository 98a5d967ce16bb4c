"""Each bad-data case of the analysis suite gives an AnalysisError naming the column, never a traceback from inside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from placebolab.analysis import (
    anova,
    assumption_checks,
    estimated_marginal_means,
    mediation,
    simple_effects,
    time_course,
)
from placebolab.errors import AnalysisError


def _study(n_per_cell: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cells = [(w, c) for w in ("warm", "neutral") for c in ("high", "low")]
    rows = [
        {"participant": f"p{i}-{w}-{c}", "warmth": w, "competence": c, "base": rng.normal(50, 10)}
        for w, c in cells
        for i in range(n_per_cell)
    ]
    data = pd.DataFrame(rows)
    data["itch"] = data["base"] + rng.normal(0, 5, len(data))
    data["expectancy"] = rng.normal(5, 1, len(data))
    return data


def _long(data: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frames = [
        data.assign(occasion=o, value=data["itch"] + rng.normal(0, 3, len(data))) for o in ("3min", "9min", "15min")
    ]
    long = pd.concat(frames, ignore_index=True)
    long["occasion"] = pd.Categorical(long["occasion"], ["3min", "9min", "15min"])
    return long


CALLS = {
    "ancova": lambda d, dv="itch", f=("warmth", "competence"), cov="base": anova(d, dv, list(f), covariates=cov),
    "emmeans": lambda d, dv="itch", f=("warmth", "competence"), cov="base": estimated_marginal_means(
        d, dv, list(f), covariates=cov
    ),
    "simple_effects": lambda d, dv="itch", f=("warmth", "competence"), cov="base": simple_effects(
        d, dv, f[0], by=list(f[1:]), covariates=cov
    ),
    "assumptions": lambda d, dv="itch", f=("warmth", "competence"), cov="base": assumption_checks(
        d, dv, list(f), covariates=cov
    ),
    "time_course": lambda d, dv="itch", f=("warmth", "competence"), cov=None: time_course(
        _long(d).assign(value=_long(d)[dv]) if dv != "itch" else _long(d), "value", "occasion", "participant", list(f)
    ),
}


@pytest.mark.parametrize("name", CALLS)
def test_missing_column_is_named(name):
    with pytest.raises(AnalysisError, match="'warmht'"):
        CALLS[name](_study(), f=("warmht", "competence"))


@pytest.mark.parametrize("name", CALLS)
def test_factor_with_one_level_is_named(name):
    data = _study().assign(competence="high")
    with pytest.raises(AnalysisError, match="Factor 'competence' has only the level 'high'"):
        CALLS[name](data)


@pytest.mark.parametrize("name", CALLS)
def test_missing_cell_is_named(name):
    data = _study()
    data = data[~((data["warmth"] == "warm") & (data["competence"] == "low"))]
    with pytest.raises(AnalysisError, match="warmth=warm, competence=low"):
        CALLS[name](data)


@pytest.mark.parametrize("name", ["ancova", "emmeans", "simple_effects", "assumptions"])
def test_non_numeric_outcome_is_named(name):
    data = _study().assign(itch=lambda d: d["itch"].round().astype(int).astype(str) + " points")
    with pytest.raises(AnalysisError, match="Column 'itch' must hold numbers"):
        CALLS[name](data)


@pytest.mark.parametrize("name", ["ancova", "emmeans", "simple_effects", "assumptions"])
def test_all_nan_outcome_is_named(name):
    with pytest.raises(AnalysisError, match="Column 'itch' has no values"):
        CALLS[name](_study().assign(itch=np.nan))


@pytest.mark.parametrize("name", CALLS)
def test_too_few_participants_is_said(name):
    with pytest.raises(AnalysisError, match="[Tt]oo few"):
        CALLS[name](_study(n_per_cell=1))


def test_non_numeric_covariate_is_named():
    # Numbers with one text value are a data error (a numeric covariate mistyped), not a stratum.
    study = _study()
    base = study["itch"].round(1).astype(object)
    base.iloc[3] = "12,5"
    with pytest.raises(AnalysisError, match="Column 'base' must hold numbers"):
        anova(study.assign(base=base), "itch", ["warmth", "competence"], covariates="base")
    # Text alone is a categorical covariate (a stratum); one level only cannot adjust anything.
    with pytest.raises(AnalysisError, match="Covariate 'base' takes one value only"):
        anova(study.assign(base="high"), "itch", ["warmth", "competence"], covariates="base")


def test_constant_covariate_is_named():
    with pytest.raises(AnalysisError, match="Covariate 'base' takes one value"):
        anova(_study().assign(base=3.0), "itch", ["warmth", "competence"], covariates="base")


def test_time_course_non_numeric_and_all_nan_outcome():
    long = _long(_study())
    with pytest.raises(AnalysisError, match="Column 'value' must hold numbers"):
        time_course(long.assign(value="x"), "value", "occasion", "participant", "warmth")
    with pytest.raises(AnalysisError, match="Column 'value' has no values"):
        time_course(long.assign(value=np.nan), "value", "occasion", "participant", "warmth")


def test_time_course_one_occasion_and_varying_factor():
    long = _long(_study())
    with pytest.raises(AnalysisError, match="Column 'occasion' has 1 occasion"):
        time_course(long[long["occasion"] == "3min"], "value", "occasion", "participant", "warmth")
    flipped = long.copy()
    flipped.loc[0, "warmth"] = "neutral" if flipped.loc[0, "warmth"] == "warm" else "warm"
    with pytest.raises(AnalysisError, match="Factor 'warmth' changes within participant"):
        time_course(flipped, "value", "occasion", "participant", "warmth")


def test_time_course_lmm_too_few_participants():
    long = _long(_study()).query("participant in ['p0-warm-high', 'p0-neutral-low']")
    with pytest.raises(AnalysisError, match="[Tt]oo few"):
        time_course(long, "value", "occasion", "participant", None, model="lmm")


def test_mediation_bad_data_cases():
    data = _study()
    with pytest.raises(AnalysisError, match="'expectancyy'"):
        mediation(data, "competence", "expectancyy", "itch", n_boot=100)
    with pytest.raises(AnalysisError, match="Column 'itch' must hold numbers"):
        mediation(data.assign(itch="a lot"), "competence", "expectancy", "itch", n_boot=100)
    with pytest.raises(AnalysisError, match="Column 'itch' has no values"):
        mediation(data.assign(itch=np.nan), "competence", "expectancy", "itch", n_boot=100)
    with pytest.raises(AnalysisError, match="Column 'competence' has 1 level"):
        mediation(data.assign(competence="high"), "competence", "expectancy", "itch", n_boot=100)
    with pytest.raises(AnalysisError, match="Too few complete rows"):
        mediation(data.iloc[[0, 6, 12]], "competence", "expectancy", "itch", n_boot=100)
    with pytest.raises(AnalysisError, match="n_boot"):
        mediation(data, "competence", "expectancy", "itch", n_boot=10)
