"""Linear mixed model of a repeated outcome, fitted and tested as lme4 + lmerTest do.

``y = Xβ + Zb + e`` with one block of random effects per participant (an intercept, or an
intercept and a slope for time), ``b ~ N(0, σ²ΛΛ')``, ``e ~ N(0, σ²I)``. The REML criterion is
profiled over β and σ exactly as lme4 does (Bates et al., 2015, J Stat Softw 67(1), eqs. 34–42),
so the optimum is lme4's; the per-participant blocks are tiny (1 × 1 or 2 × 2), so each
evaluation is a few batched numpy operations whatever the sample size.

Fixed-effect F tests (type III with sum-to-zero coding) use Satterthwaite's denominator degrees of
freedom, computed as lmerTest does (Kuznetsova et al., 2017, J Stat Softw 82(13)): the covariance
of the variance parameters (θ, σ) is twice the inverse Hessian of the REML deviance, and the
gradient of each contrast's variance comes from numerical derivatives (Richardson extrapolation,
as numDeriv). Kenward–Roger's adjusted covariance and degrees of freedom follow Kenward & Roger
(1997, Biometrics 53:983) with the covariance linear in its parameters, as pbkrtest does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from placebolab.analysis._validate import levels_of
from placebolab.errors import AnalysisError

LMM_COLUMNS = ["Source", "NumDF", "DenDF", "F", "p_unc"]
DDF_METHODS = ("satterthwaite", "kenward-roger")


@dataclass(frozen=True)
class MixedModelResult:
    """A fitted mixed model: its F tests, variance components, ICC and adjusted means.

    ``anova``: ``Source, NumDF, DenDF, F, p_unc`` per fixed term (type III), denominator df by
    ``ddf``. ``variance``: ``component, variance, sd, corr`` — the participant intercept (and time
    slope, with their correlation) and the residual. ``icc``: the participant share of the
    variance, τ₀₀ / (τ₀₀ + σ²) for a random intercept; with a random slope the random variance is
    averaged over the observations (Nakagawa et al., 2017), so it depends on where time is 0.
    ``emmeans``: model-based mean of every occasion × cell with SE, df (the same method) and CI.
    """

    anova: pd.DataFrame
    variance: pd.DataFrame
    icc: float
    emmeans: pd.DataFrame
    ddf: str
    random_slope: bool
    n_participants: int
    n_observations: int
    reml_criterion: float  # lme4's REMLcrit (−2 × restricted log-likelihood)
    singular: bool = False  # a variance at 0 or a correlation at ±1 (lme4's isSingular): simplify the model


def fit_mixed_model(
    data: pd.DataFrame,
    dv: str,
    within: str,
    subject: str,
    factors: list[str],
    random_slope: bool = False,
    ddf: str = "satterthwaite",
    confidence: float = 0.95,
) -> MixedModelResult:
    """Fit ``dv ~ within * factors + (1 | subject)`` (or ``(1 + time | subject)``) by REML.

    Columns are assumed checked (:func:`placebolab.analysis.mixed_model` does). Time for the random
    slope is the occasion's position (0 for the first occasion, 1 for the next, …).
    """
    if ddf not in DDF_METHODS:
        raise AnalysisError(f"ddf must be one of {', '.join(DDF_METHODS)}, not {ddf!r}.")
    model = _Model.build(data, dv, within, subject, factors, random_slope)
    theta = model.optimise()
    derivs = _KenwardRoger(model, theta) if ddf == "kenward-roger" else _Satterthwaite(model, theta)
    rows = []
    for source, weights in model.terms.items():
        f_value, df1, df2 = derivs.f_test(weights)
        rows.append({"Source": source, "NumDF": df1, "DenDF": df2, "F": f_value, "p_unc": _f_sf(f_value, df1, df2)})
    return MixedModelResult(
        anova=pd.DataFrame(rows, columns=LMM_COLUMNS),
        variance=model.variance_table(theta),
        icc=model.icc(theta),
        emmeans=model.cell_means(derivs, confidence),
        ddf=ddf,
        random_slope=random_slope,
        n_participants=model.m,
        n_observations=model.n,
        reml_criterion=float(model.deviance(theta)),
        singular=bool(any(theta[i] < 1e-4 for i, (r, c) in enumerate(_column_major(model.q)) if r == c)),
    )


def _f_sf(f_value, df1, df2) -> float:
    from scipy import stats

    return float(stats.f.sf(f_value, df1, df2))


@dataclass
class _Model:
    """The data of one mixed model as per-participant cross-products (all REML needs)."""

    X: np.ndarray  # n × p fixed-effects design (sum-to-zero coding)
    Z: np.ndarray  # n × q random-effects design of each row (1, or 1 and time)
    y: np.ndarray
    group: np.ndarray  # participant index 0..m-1 of each row
    beta_names: list[str]
    terms: dict[str, np.ndarray]  # source → its type III hypothesis L (L·β = 0)
    grid: pd.DataFrame  # occasion × cell combinations
    grid_X: np.ndarray  # their rows of the design
    random_slope: bool

    @classmethod
    def build(cls, data, dv, within, subject, factors, random_slope) -> _Model:
        from patsy import build_design_matrices, dmatrix

        rows = data.dropna(subset=[dv, within, subject, *factors])
        occasions = [str(v) for v in levels_of(rows[within]) if (rows[within] == v).any()]
        names = {"w": within, **{f"f{i}": f for i, f in enumerate(factors)}}
        frame = pd.DataFrame({"w": pd.Categorical(rows[within].astype(str).to_numpy(), categories=occasions)})
        levels = {"w": occasions}
        for key, factor in names.items():
            if key != "w":
                levels[key] = [str(v) for v in levels_of(rows[factor]) if (rows[factor] == v).any()]  # observed only
                frame[key] = pd.Categorical(rows[factor].astype(str).to_numpy(), categories=levels[key])
        subjects = pd.factorize(rows[subject])[0]
        m = int(subjects.max()) + 1 if len(subjects) else 0
        if m < 3 or len(rows) <= m + 1:
            raise AnalysisError(f"Too few participants ({m}) or occasions for a mixed model of '{dv}'.")
        if random_slope and len(occasions) < 3:  # 2 occasions: slope and residual variance are one number
            raise AnalysisError(
                f"A random slope for time needs at least 3 occasions of '{dv}' ({len(occasions)} here): its "
                "variance could not be told apart from the residual variance (lme4 refuses this model too)."
            )
        design = dmatrix("*".join(f"C({key}, Sum)" for key in names), frame, return_type="dataframe")
        spec = design.design_info
        terms = {}
        for term, slc in spec.term_name_slices.items():
            if term != "Intercept":
                terms[_source(term, names)] = _type3_hypothesis(term, slc, levels, design.shape[1])
        time = frame["w"].cat.codes.to_numpy(dtype=float)
        Z = np.column_stack([np.ones(len(rows)), time]) if random_slope else np.ones((len(rows), 1))
        grid = pd.DataFrame(pd.MultiIndex.from_product([levels[k] for k in names]).to_list(), columns=list(names))
        for key in names:
            grid[key] = pd.Categorical(grid[key], categories=levels[key])
        (grid_X,) = build_design_matrices([spec], grid)
        X = design.to_numpy()
        if np.linalg.matrix_rank(X) < X.shape[1]:
            raise AnalysisError(
                f"Some occasion × cell combination has no value of '{dv}', so the mixed model cannot estimate it."
            )
        model = cls(X, Z, rows[dv].to_numpy(dtype=float), subjects, list(design.columns), terms,
                    grid.rename(columns=names).astype(str), np.asarray(grid_X), random_slope)  # fmt: skip
        model._crossproducts()
        return model

    def _crossproducts(self) -> None:
        q, p = self.Z.shape[1], self.X.shape[1]
        m = self.m
        self.ZtZ = np.zeros((m, q, q))
        self.ZtX = np.zeros((m, q, p))
        self.Zty = np.zeros((m, q))
        np.add.at(self.ZtZ, self.group, self.Z[:, :, None] * self.Z[:, None, :])
        np.add.at(self.ZtX, self.group, self.Z[:, :, None] * self.X[:, None, :])
        np.add.at(self.Zty, self.group, self.Z * self.y[:, None])
        self.XtX, self.Xty, self.yty = self.X.T @ self.X, self.X.T @ self.y, float(self.y @ self.y)

    @property
    def m(self) -> int:
        return int(self.group.max()) + 1

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def q(self) -> int:
        return self.Z.shape[1]

    def lam(self, theta) -> np.ndarray:
        """Λ, lower triangular, filled column by column from θ (lme4's order)."""
        lam = np.zeros((self.q, self.q))
        for value, (r, c) in zip(theta, _column_major(self.q), strict=True):
            lam[r, c] = value
        return lam

    def solve(self, theta) -> dict:
        """β̂, the penalised residual sum of squares and the log-determinants at θ."""
        lam = self.lam(theta)
        A = np.einsum("ji,gjk,kl->gil", lam, self.ZtZ, lam) + np.eye(self.q)
        B = np.einsum("ji,gjk->gik", lam, self.ZtX)  # Λ'Z'X per participant
        c = np.einsum("ji,gj->gi", lam, self.Zty)
        chol = np.linalg.cholesky(A)
        logdet_l = 2 * float(np.log(np.diagonal(chol, axis1=1, axis2=2)).sum())
        AiB = np.linalg.solve(A, B)
        Aic = np.linalg.solve(A, c[:, :, None])[:, :, 0]
        S = self.XtX - np.einsum("gip,giq->pq", B, AiB)
        s = self.Xty - np.einsum("gip,gi->p", B, Aic)
        sign, logdet_s = np.linalg.slogdet(S)
        if sign <= 0:
            raise AnalysisError("The fixed effects of the mixed model are not estimable (singular design).")
        beta = np.linalg.solve(S, s)
        pwrss = self.yty - float(np.einsum("gi,gi->", c, Aic)) - float(s @ beta)
        return {"beta": beta, "pwrss": max(pwrss, 1e-300), "logdet_l": logdet_l, "logdet_s": logdet_s, "S": S}

    def deviance(self, theta) -> float:
        """lme4's profiled REML criterion."""
        fit = self.solve(theta)
        df = self.n - self.p
        return fit["logdet_l"] + fit["logdet_s"] + df * (1 + np.log(2 * np.pi * fit["pwrss"] / df))

    def deviance_vp(self, varpar) -> float:
        """REML deviance at given θ and σ (lmerTest's devfun_vp), not profiled over σ."""
        theta, sigma2 = varpar[:-1], varpar[-1] ** 2
        fit = self.solve(theta)
        return (fit["logdet_l"] + fit["pwrss"] / sigma2 + (self.n - self.p) * np.log(2 * np.pi * sigma2)
                + fit["logdet_s"])  # fmt: skip

    def sigma(self, theta) -> float:
        return float(np.sqrt(self.solve(theta)["pwrss"] / (self.n - self.p)))

    def covariance(self, theta, sigma=None) -> np.ndarray:
        """Covariance of β̂: σ² (X'V⁻¹X)⁻¹."""
        fit = self.solve(theta)
        sigma2 = fit["pwrss"] / (self.n - self.p) if sigma is None else sigma**2
        return sigma2 * np.linalg.inv(fit["S"])

    def beta(self, theta) -> np.ndarray:
        return self.solve(theta)["beta"]

    def optimise(self) -> np.ndarray:
        """θ at the REML optimum: a bounded quasi-Newton search, then Newton steps to full precision."""
        from scipy import optimize

        lower = np.array([0.0 if r == c else -np.inf for r, c in _column_major(self.q)])
        if self.q == 1:
            found = optimize.minimize_scalar(lambda t: self.deviance([t]), bounds=(0.0, 1e3),
                                             method="bounded", options={"xatol": 1e-12})  # fmt: skip
            start = np.array([found.x])
            theta = start if self.deviance(start) <= self.deviance([0.0]) else np.array([0.0])
        else:
            start = np.array([1.0 if r == c else 0.0 for r, c in _column_major(self.q)])
            found = optimize.minimize(self.deviance, start, method="L-BFGS-B",
                                      bounds=[(lo if np.isfinite(lo) else None, None) for lo in lower],
                                      options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000})  # fmt: skip
            theta = found.x
        return self._polish(theta, lower)

    def _polish(self, theta, lower) -> np.ndarray:
        # Newton steps on the profiled criterion, kept inside the bounds and only when they improve it.
        for _ in range(20):
            free = theta > lower + 1e-8
            if not free.any():
                break
            grad = _gradient(self.deviance, theta)
            hess = _hessian(self.deviance, theta)
            try:
                step = np.zeros_like(theta)
                step[free] = np.linalg.solve(hess[np.ix_(free, free)], grad[free])
            except np.linalg.LinAlgError:
                break
            candidate = np.maximum(theta - step, lower)
            if self.deviance(candidate) > self.deviance(theta) or np.max(np.abs(candidate - theta)) < 1e-12:
                break
            theta = candidate
        return theta

    def variance_table(self, theta) -> pd.DataFrame:
        sigma = self.sigma(theta)
        lam = self.lam(theta)
        cov = sigma**2 * lam @ lam.T
        names = ["participant intercept", "participant slope (time)"][: self.q]
        rows = []
        for i, name in enumerate(names):
            sd = float(np.sqrt(cov[i, i]))
            corr = float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])) if i == 1 and cov[0, 0] * cov[1, 1] > 0 else np.nan
            rows.append({"component": name, "variance": float(cov[i, i]), "sd": sd, "corr": corr})
        rows.append({"component": "residual", "variance": sigma**2, "sd": sigma, "corr": np.nan})
        return pd.DataFrame(rows)

    def icc(self, theta) -> float:
        sigma2 = self.sigma(theta) ** 2
        lam = self.lam(theta)
        cov = sigma2 * lam @ lam.T
        random = float(np.mean(np.einsum("ni,ij,nj->n", self.Z, cov, self.Z)))
        return random / (random + sigma2)

    def cell_means(self, derivs, confidence) -> pd.DataFrame:
        from scipy import stats

        out = self.grid.copy()
        est, se, df = [], [], []
        for row in self.grid_X:
            e, s, d = derivs.estimate(row)
            est.append(e)
            se.append(s)
            df.append(d)
        out["emmean"], out["se"], out["df"] = est, se, df
        half = stats.t.ppf(1 - (1 - confidence) / 2, out["df"]) * out["se"]
        out["ci_low"], out["ci_high"] = out["emmean"] - half, out["emmean"] + half
        return out


def _type3_hypothesis(term: str, columns: slice, levels: dict, p: int) -> np.ndarray:
    """The term's type III hypothesis in lmerTest's basis: each level minus the first, crossed.

    With sum-to-zero coding the hypothesis is "the term's coefficients are 0"; lmerTest states it
    as treatment-style differences, and Satterthwaite's F df depends on the basis (not F itself).
    Patsy orders interaction columns with the first factor varying fastest, hence the reversed kron.
    """
    block = np.ones((1, 1))
    for part in term.split(":"):
        k = len(levels[part[2:].split(",")[0]])
        effects = np.vstack([np.eye(k - 1), -np.ones(k - 1)])  # level j's effect α_j in the coefficients
        block = np.kron(effects[1:] - effects[0], block)
    hypothesis = np.zeros((block.shape[0], p))
    hypothesis[:, columns] = block
    return hypothesis


def _column_major(q: int) -> list[tuple[int, int]]:
    return sorted(zip(*np.tril_indices(q), strict=True), key=lambda rc: (rc[1], rc[0]))


def _source(term: str, names: dict[str, str]) -> str:
    from placebolab.analysis._linear import source_name

    return source_name(term, names)


class _Satterthwaite:
    """lmerTest's Satterthwaite degrees of freedom for contrasts of β."""

    def __init__(self, model: _Model, theta: np.ndarray):
        self.beta = model.beta(theta)
        self.cov = model.covariance(theta)
        varpar = np.append(theta, model.sigma(theta))
        values, vectors = np.linalg.eigh(_hessian(model.deviance_vp, varpar))
        positive = values > 1e-8  # as lmerTest: a flat direction (a variance at 0) is left out
        self.vcov_varpar = 2 * (vectors[:, positive] / values[positive]) @ vectors[:, positive].T
        self.jacobian = _jacobian(lambda vp: model.covariance(vp[:-1], vp[-1]), varpar)  # list of p × p

    def _df(self, weights: np.ndarray, variance: float) -> float:
        grad = np.array([weights @ jac @ weights for jac in self.jacobian])
        return float(2 * variance**2 / (grad @ self.vcov_varpar @ grad))

    def estimate(self, weights: np.ndarray) -> tuple[float, float, float]:
        variance = float(weights @ self.cov @ weights)
        return float(weights @ self.beta), float(np.sqrt(variance)), self._df(weights, variance)

    def f_test(self, weights: np.ndarray) -> tuple[float, int, float]:
        """F and its Satterthwaite df for ``weights · β = 0`` (lmerTest's contestMD)."""
        values, vectors = np.linalg.eigh(weights @ self.cov @ weights.T)
        order = np.argsort(values)[::-1]
        values, vectors = values[order], vectors[:, order]
        keep = values > max(np.finfo(float).eps ** 0.5 * values[0], 0)
        rotated = vectors[:, keep].T @ weights
        t2 = (rotated @ self.beta) ** 2 / values[keep]
        nu = np.array([self._df(row, val) for row, val in zip(rotated, values[keep], strict=True)])
        return float(t2.mean()), int(keep.sum()), _combined_df(nu)


def _combined_df(nu: np.ndarray) -> float:
    # lmerTest's get_Fstat_ddf: one t → its df; several → from E = Σ ν/(ν−2) (Fai & Cornelius, 1996).
    if len(nu) == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < 1e-8):
        return float(nu.mean())
    if np.any(nu <= 2):
        return 2.0
    e = float(np.sum(nu / (nu - 2)))
    return 2 * e / (e - len(nu))


class _KenwardRoger:
    """Kenward & Roger (1997): adjusted covariance of β̂ and F scaling/df, covariance linear in its parameters.

    The covariance parameters are those of pbkrtest: the entries of the participant covariance
    matrix G (τ₀₀; or τ₀₀, τ₀₁, τ₁₁) and the residual variance σ², so that V = Σ σ_r V_r with
    constant V_r and the second derivatives of V vanish.
    """

    def __init__(self, model: _Model, theta: np.ndarray):
        sigma2 = model.sigma(theta) ** 2
        lam = model.lam(theta)
        G = sigma2 * lam @ lam.T
        q = model.q
        blocks = _participant_blocks(model)
        # V⁻¹ per participant and the derivative matrices of V.
        pairs = [(r, c) for r in range(q) for c in range(r, q)]
        Vinv = [np.linalg.inv(Zi @ G @ Zi.T + sigma2 * np.eye(len(Zi))) for Zi in blocks["Z"]]
        dV = []
        for r, c in pairs:
            E = np.zeros((q, q))
            E[r, c] = E[c, r] = 1.0
            dV.append([Zi @ E @ Zi.T for Zi in blocks["Z"]])
        dV.append([np.eye(len(Zi)) for Zi in blocks["Z"]])
        Xb = blocks["X"]
        VinvX = [Vi @ Xi for Vi, Xi in zip(Vinv, Xb, strict=True)]
        phi = np.linalg.inv(sum(Xi.T @ VXi for Xi, VXi in zip(Xb, VinvX, strict=True)))
        k = len(dV)
        # P_i = −X'V⁻¹ V_i V⁻¹X, Q_ij = X'V⁻¹ V_i V⁻¹ V_j V⁻¹X
        P = [-sum(VXi.T @ Di @ VXi for VXi, Di in zip(VinvX, dV[i], strict=True)) for i in range(k)]
        VDV = [[Vi @ Di for Vi, Di in zip(Vinv, dV[i], strict=True)] for i in range(k)]
        Q = [[sum(VXi.T @ Di @ Vi @ Dj @ VXi for VXi, Di, Vi, Dj in zip(VinvX, dV[i], Vinv, dV[j], strict=True))
              for j in range(k)] for i in range(k)]  # fmt: skip
        # REML expected information: ½ tr(P V_i P V_j) with P = V⁻¹ − V⁻¹X Φ X'V⁻¹.
        info = np.zeros((k, k))
        for i in range(k):
            for j in range(i, k):
                t1 = sum(np.trace(a @ b) for a, b in zip(VDV[i], VDV[j], strict=True))
                t2 = np.trace(phi @ Q[i][j]) + np.trace(phi @ Q[j][i])
                t3 = np.trace(phi @ P[i] @ phi @ P[j])
                info[i, j] = info[j, i] = 0.5 * (t1 - t2 + t3)
        W = np.linalg.inv(info)
        correction = np.zeros_like(phi)
        for i in range(k):
            for j in range(k):
                correction += W[i, j] * (Q[i][j] - P[i] @ phi @ P[j])
        self.beta = model.beta(theta)
        self.phi, self.P, self.Q, self.W = phi, P, Q, W
        self.cov = phi + 2 * phi @ correction @ phi

    def estimate(self, weights: np.ndarray) -> tuple[float, float, float]:
        _, df, _ = self._scaled(weights[None, :])
        return float(weights @ self.beta), float(np.sqrt(weights @ self.cov @ weights)), df

    def f_test(self, weights: np.ndarray) -> tuple[float, int, float]:
        f_value, df2, lam = self._scaled(weights)
        return f_value * lam, weights.shape[0], df2

    def _scaled(self, L: np.ndarray) -> tuple[float, float, float]:
        """F (unscaled), denominator df and scale λ of Kenward & Roger (1997), section 4."""
        phi, P, W = self.phi, self.P, self.W
        ell = L.shape[0]
        theta_m = L.T @ np.linalg.inv(L @ phi @ L.T) @ L
        diff = L @ self.beta
        f_value = float(diff @ np.linalg.solve(L @ self.cov @ L.T, diff) / ell)
        k = len(P)
        A1 = A2 = 0.0
        for i in range(k):
            for j in range(k):
                Mi = theta_m @ phi @ P[i] @ phi
                Mj = theta_m @ phi @ P[j] @ phi
                A1 += W[i, j] * np.trace(Mi) * np.trace(Mj)
                A2 += W[i, j] * np.trace(Mi @ Mj)
        B = (A1 + 6 * A2) / (2 * ell)
        g = ((ell + 1) * A1 - (ell + 4) * A2) / ((ell + 2) * A2)
        c1 = g / (3 * ell + 2 * (1 - g))
        c2 = (ell - g) / (3 * ell + 2 * (1 - g))
        c3 = (ell + 2 - g) / (3 * ell + 2 * (1 - g))
        e_star = 1 / (1 - A2 / ell)
        v_star = 2 / ell * (1 + c1 * B) / ((1 - c2 * B) ** 2 * (1 - c3 * B))
        rho = v_star / (2 * e_star**2)
        df2 = 4 + (ell + 2) / (ell * rho - 1)
        lam = df2 / (e_star * (df2 - 2))
        return f_value, float(df2), float(lam)


def _participant_blocks(model: _Model) -> dict:
    order = np.argsort(model.group, kind="stable")
    bounds = np.flatnonzero(np.diff(model.group[order])) + 1
    return {
        "Z": np.split(model.Z[order], bounds),
        "X": np.split(model.X[order], bounds),
    }


# --- numerical derivatives (Richardson extrapolation of central differences, as numDeriv) -------------


def _step(x: float, d: float) -> float:
    # numDeriv's step: a fraction d of |x|, or 1e-4 near zero (zero.tol = sqrt(eps / 7e-7)).
    return d * abs(x) + (1e-4 if abs(x) < 1.8e-5 else 0.0)


def _richardson(estimates: list) -> float | np.ndarray:  # an array for a matrix-valued function
    # Estimates at h, h/2, h/4, …: eliminate the h², h⁴, … error terms in turn.
    table = list(estimates)
    for level in range(1, len(table)):
        factor = 4.0**level
        table = [(factor * table[i + 1] - table[i]) / (factor - 1) for i in range(len(table) - 1)]
    return table[0]


def _jacobian(fn, x: np.ndarray, levels: int = 4, d: float = 1e-4) -> list:
    out = []
    for i in range(len(x)):
        estimates = []
        for r in range(levels):
            h = _step(x[i], d) / 2**r
            up, down = x.copy(), x.copy()
            up[i] += h
            down[i] -= h
            estimates.append((np.asarray(fn(up)) - np.asarray(fn(down))) / (2 * h))
        out.append(_richardson(estimates))
    return out


def _gradient(fn, x: np.ndarray) -> np.ndarray:
    return np.array(_jacobian(lambda v: fn(v), np.asarray(x, dtype=float)), dtype=float)


def _hessian(fn, x: np.ndarray, levels: int = 4, d: float = 0.1) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    k = len(x)
    hess = np.zeros((k, k))
    f0 = fn(x)
    for i in range(k):
        for j in range(i, k):
            estimates = []
            for r in range(levels):
                hi, hj = _step(x[i], d) / 2**r, _step(x[j], d) / 2**r
                if i == j:
                    up, down = x.copy(), x.copy()
                    up[i] += hi
                    down[i] -= hi
                    estimates.append((fn(up) - 2 * f0 + fn(down)) / hi**2)
                else:
                    vals = []
                    for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                        v = x.copy()
                        v[i] += si * hi
                        v[j] += sj * hj
                        vals.append(fn(v))
                    estimates.append((vals[0] - vals[1] - vals[2] + vals[3]) / (4 * hi * hj))
            hess[i, j] = hess[j, i] = _richardson(estimates)
    return hess
