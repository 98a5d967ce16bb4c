"""The linear mixed model against lme4 / lmerTest / pbkrtest / emmeans, and Huynh–Feldt against afex.

Data: tests/analysis/data/itch_occasions.csv — 42 participants in a 2 × 2 design (unequal cells),
three occasions, some occasions missed (112 rows). The R session that gave every number below:

    library(lmerTest); library(emmeans)    # lme4 1.1, lmerTest 3.1, pbkrtest 0.5.2, emmeans 1.10
    options(contrasts = c("contr.sum", "contr.poly"))
    d <- read.csv("itch_occasions.csv")
    d$occasion <- factor(d$occasion, levels = c("t0+3min", "t0+9min", "t0+15min"))
    d$time <- as.numeric(d$occasion) - 1
    m1 <- lmer(itch ~ occasion * warmth * competence + (1 | id), data = d)
    m2 <- lmer(itch ~ occasion * warmth * competence + (1 + time | id), data = d)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest
from numpy.testing import assert_allclose

from placebolab.analysis import mixed_model, time_course
from placebolab.errors import AnalysisError
from tests.analysis.synthetic import DATA

FACTORS = ["warmth", "competence"]
SOURCES = [
    "occasion",
    "warmth",
    "competence",
    "occasion * warmth",
    "occasion * competence",
    "warmth * competence",
    "occasion * warmth * competence",
]


@pytest.fixture(scope="module")
def itch() -> pd.DataFrame:
    data = pd.read_csv(DATA / "itch_occasions.csv")
    data["occasion"] = pd.Categorical(data["occasion"], ["t0+3min", "t0+9min", "t0+15min"])
    return data


def fit(data, **options):
    return mixed_model(data, "itch", "occasion", "id", FACTORS, **options)


def test_random_intercept_matches_lme4_and_lmertest_satterthwaite(itch):
    result = fit(itch)
    # as.data.frame(VarCorr(m1))$vcov: 94.3762292617, 28.6085549788; REMLcrit(m1) 756.542546484
    variance = result.variance.set_index("component")["variance"]
    assert_allclose(variance[["participant intercept", "residual"]], [94.3762292617, 28.6085549788], rtol=1e-6)
    assert result.reml_criterion == pytest.approx(756.542546484, abs=1e-8)
    assert result.icc == pytest.approx(94.3762292617 / (94.3762292617 + 28.6085549788), rel=1e-6)
    # anova(m1, type = 3): NumDF, DenDF (Satterthwaite), F value, Pr(>F)
    table = result.anova.set_index("Source").loc[SOURCES]
    assert list(table["NumDF"]) == [2, 1, 1, 2, 2, 1, 2]
    assert_allclose(table["DenDF"], [62.63868441, 37.16656169, 37.16656169, 62.63868440, 62.63868441,
                                     37.16656170, 62.63868440], rtol=1e-6)  # fmt: skip
    assert_allclose(table["F"], [0.94291, 6.10401, 1.21843, 0.86031, 0.21914, 0.06123, 0.33198], atol=5e-6)
    assert_allclose(table["p_unc"], [0.394951, 0.018197, 0.276765, 0.427969, 0.803821, 0.805919, 0.718756], atol=5e-7)


def test_random_slope_matches_lme4_at_its_optimum(itch):
    result = fit(itch, random_slope=True)
    # lme4 with bobyqa run to rhoend = 1e-12 (lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12))):
    # VarCorr: intercept 84.33778164614, slope 12.74334311059, cov −1.89949922622 (r −0.0579410479733),
    # residual 17.43087220933; REMLcrit 750.420792112338. (The default optimizer stops 3e-6 short of it.)
    variance = result.variance.set_index("component")
    assert_allclose(variance["variance"], [84.33778164614, 12.74334311059, 17.43087220933], rtol=1e-6)
    assert variance.loc["participant slope (time)", "corr"] == pytest.approx(-0.0579410479733, rel=1e-5)
    assert result.reml_criterion <= 750.420792112338 + 1e-9
    # anova(m2, type = 3): Satterthwaite DenDF 35.27390146 (occasion terms), 37.16110195 (between)
    table = result.anova.set_index("Source").loc[SOURCES]
    assert_allclose(table["DenDF"], [35.27390146, 37.16110195, 37.16110195, 35.27390146, 35.27390146,
                                     37.16110195, 35.27390147], rtol=1e-6)  # fmt: skip
    assert_allclose(table["F"], [1.01669, 5.95252, 1.04564, 0.92272, 0.31681, 0.07022, 0.47424], atol=5e-5)
    assert_allclose(table["p_unc"], [0.372147, 0.019586, 0.313125, 0.406815, 0.730523, 0.792479, 0.626270], atol=5e-6)


def test_kenward_roger_matches_pbkrtest(itch):
    # anova(m1, type = 3, ddf = "Kenward-Roger"): DenDF 63.41904013 / 37.95195514; F 0.94135 6.10248 1.21812
    # 0.85888 0.21878 0.06122 0.33140. anova(m2, …): DenDF 43.21350730 / 37.90113508; F 0.99415 5.94444 1.04422
    # 0.89498 0.30924 0.07013 0.46144.
    intercept = fit(itch, ddf="kenward-roger").anova.set_index("Source").loc[SOURCES]
    assert_allclose(intercept["DenDF"], [63.41904013, 37.95195514, 37.95195514] + [63.41904013] * 2
                    + [37.95195514, 63.41904013], rtol=1e-6)  # fmt: skip
    assert_allclose(intercept["F"], [0.94135, 6.10248, 1.21812, 0.85888, 0.21878, 0.06122, 0.33140], atol=5e-6)
    slope = fit(itch, random_slope=True, ddf="kenward-roger").anova.set_index("Source").loc[SOURCES]
    assert_allclose(slope["DenDF"], [43.21350730, 37.90113508, 37.90113508] + [43.21350730] * 2
                    + [37.90113508, 43.21350730], rtol=1e-6)  # fmt: skip
    assert_allclose(slope["F"], [0.99415, 5.94444, 1.04422, 0.89498, 0.30924, 0.07013, 0.46144], atol=5e-5)


@pytest.mark.parametrize(
    ("options", "emmean", "se", "df"),
    [
        # as.data.frame(summary(emmeans(m, ~ occasion * warmth * competence, lmer.df = …)))[1:2, ]
        # (neutral, high at t0+3min and t0+9min)
        ({}, [46.6280542945, 49.3], [3.57132592035, 3.50691865090], [52.6803577338, 49.5574975621]),
        (
            {"ddf": "kenward-roger"},
            [46.6280542945, 49.3],
            [3.57179802791, 3.50691865090],
            [53.5143742827, 50.3947267806],
        ),
        # m2 refitted at lme4's full optimum (bobyqa, rhoend = 1e-12), as in test_random_slope_…
        ({"random_slope": True}, [46.5277354085, 49.3], [3.25936371816, 3.32735628561], [36.9191445780, 43.7006673731]),
    ],
)
def test_model_based_means_match_emmeans(itch, options, emmean, se, df):
    means = fit(itch, **options).emmeans
    cell = means[(means["warmth"] == "neutral") & (means["competence"] == "high")].set_index("occasion")
    rows = cell.loc[["t0+3min", "t0+9min"]]
    assert_allclose(rows["emmean"], emmean, rtol=1e-6)
    assert_allclose(rows["se"], se, rtol=1e-6)
    assert_allclose(rows["df"], df, rtol=2e-5)
    assert (rows["ci_low"] < rows["emmean"]).all() and (rows["emmean"] < rows["ci_high"]).all()
    assert len(means) == 3 * 2 * 2


def test_time_course_lmm_is_the_mixed_models_f_table(itch):
    table = time_course(itch, "itch", "occasion", "id", FACTORS, model="lmm")
    assert list(table.columns) == ["Source", "NumDF", "DenDF", "F", "p_unc"]
    assert table.equals(fit(itch).anova)


def test_balanced_random_intercept_reproduces_the_mixed_anova():
    # With balanced, complete data a random intercept is compound symmetry: each REML F equals the
    # mixed-ANOVA F, and the Satterthwaite df equal the ANOVA's error df (58 between, 116 within).
    data = pingouin.read_dataset("mixed_anova")
    lmm = mixed_model(data, "Scores", "Time", "Subject", "Group").anova.set_index("Source")
    aov = time_course(data, "Scores", "Time", "Subject", "Group").set_index("Source")
    for source in aov.index:
        assert lmm.loc[source, "F"] == pytest.approx(aov.loc[source, "F"], rel=1e-6)
        assert lmm.loc[source, "DenDF"] == pytest.approx(aov.loc[source, "DF2"], rel=1e-5)


def test_a_missing_occasion_cell_and_a_bad_ddf_are_named(itch):
    gone = itch[~((itch["occasion"] == "t0+9min") & (itch["warmth"] == "warm") & (itch["competence"] == "low"))]
    with pytest.raises(AnalysisError, match="occasion × cell combination has no value of 'itch'"):
        fit(gone)
    with pytest.raises(AnalysisError, match="ddf must be one of satterthwaite, kenward-roger"):
        fit(itch, ddf="containment")


# --- Huynh–Feldt --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "gg", "hf", "p_hf"),
    [
        # summary(afex::aov_car(Scores ~ Group + Error(Subject / Time), data = d))$pval.adjustments
        ("mixed_anova", 0.9981202708, 1.033664464, [0.02036941261, 0.06954480744]),
        ("mixed_anova_unbalanced", 0.9253739733, 1.06519178, [0.2121565696, 0.5087900445]),
    ],
)
def test_huynh_feldt_matches_afex(name, gg, hf, p_hf):
    table = time_course(pingouin.read_dataset(name), "Scores", "Time", "Subject", "Group")
    within = table.iloc[1:]
    assert_allclose(within["eps"], gg, rtol=1e-8)
    assert_allclose(within["eps_HF"], hf, rtol=1e-8)  # afex shows HF ε above 1 …
    assert_allclose(within["p_HF_corr"], p_hf, rtol=1e-7)  # … and corrects with 1 ("HF eps > 1 treated as 1")
    assert table.iloc[0]["eps_HF"] == 1.0


def test_huynh_feldt_below_one_matches_afex():
    # The non-spherical data of test_suite_reference (pingouin issue #524), same afex call:
    # GG eps 0.7331973482, HF eps 0.7820889261, HF p 0.0037068104174 (Time), 0.0004871698933 (Group:Time).
    rng = np.random.default_rng(0)
    rows = []
    for group, shift in [("A", np.array([0.0, 1.0, 2.0])), ("B", np.array([2.0, 1.0, 0.0]))]:
        for i in range(10):
            base, noise = rng.normal(0, 1), rng.normal(0, [0.3, 1.0, 2.0])
            rows += [(f"{group}{i}", group, f"T{t}", base + shift[t] + noise[t] + 0.5 * t) for t in range(3)]
    data = pd.DataFrame(rows, columns=["Subject", "Group", "Time", "Scores"])
    within = time_course(data, "Scores", "Time", "Subject", "Group").iloc[1:]
    assert_allclose(within["eps_HF"], 0.7820889261, rtol=1e-8)
    assert_allclose(within["p_HF_corr"], [0.0037068104174, 0.0004871698933], rtol=1e-7)


def test_a_singular_fit_is_flagged_and_tested_as_lmertest_does():
    # 24 participants, 2 groups, 3 occasions, no participant variance in the slope (data made below, written
    # to CSV for R): lmer(y ~ time * group + (1 + t | id)) is "boundary (singular) fit", corr −1;
    # REMLcrit 286.6398264; anova(): DenDF 43.550256 (time, time:group), 22.358528 (group); F 4.98527 2.31862 2.15686.
    # With (1 | id): variance 0.19885981, residual 2.97420265, DenDF 43.999996 / 21.999999, F 4.98942 2.32318 2.15913.
    rng = np.random.default_rng(5)
    rows = [
        (f"s{i}", "ab"[i % 2], f"T{t}", 10 + (i % 2 == 0) + 0.5 * t + rng.normal(0, 2))
        for i in range(24)
        for t in range(3)
    ]
    data = pd.DataFrame(rows, columns=["id", "group", "time", "y"])
    data["time"] = pd.Categorical(data["time"], ["T0", "T1", "T2"])
    slope = mixed_model(data, "y", "time", "id", "group", random_slope=True)
    assert slope.singular and slope.variance.iloc[1]["corr"] == pytest.approx(-1.0, abs=1e-6)
    assert slope.reml_criterion == pytest.approx(286.6398264, abs=1e-6)
    assert_allclose(slope.anova["DenDF"], [43.550256, 22.358528, 43.550256], rtol=1e-5)
    assert_allclose(slope.anova["F"], [4.98527, 2.31862, 2.15686], atol=5e-5)
    intercept = mixed_model(data, "y", "time", "id", "group")
    assert not intercept.singular
    assert_allclose(intercept.variance["variance"], [0.19885981, 2.97420265], rtol=1e-6)
    assert_allclose(intercept.anova["DenDF"], [43.999996, 21.999999, 43.999996], rtol=1e-6)


def test_a_random_slope_needs_three_occasions():
    # lme4: "number of observations (=40) <= number of random effects (=40) ... probably unidentifiable"
    rng = np.random.default_rng(2)
    rows = [(f"s{i}", "ab"[i % 2], f"T{t}", 10 + t + rng.normal()) for i in range(20) for t in range(2)]
    data = pd.DataFrame(rows, columns=["id", "group", "time", "y"])
    with pytest.raises(AnalysisError, match="needs at least 3 occasions of 'y' \\(2 here\\)"):
        mixed_model(data, "y", "time", "id", "group", random_slope=True)
    assert mixed_model(data, "y", "time", "id", "group").anova["DenDF"].notna().all()  # a random intercept is fine
