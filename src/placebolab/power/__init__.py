"""Study planning: power of every effect of a factorial design, analytically and by simulation.

``analytic_power`` (noncentral F) and ``simulate_power`` (thousands of simulated studies in one batch of
array operations) return one row per effect — main effects, interactions, simple effects, and with
``baseline_r`` the baseline-adjusted (ANCOVA) analysis. ``placebolab power`` runs both for a protocol.
"""

from placebolab.power.analytic import analytic_power, f_from_lambda, f_test_power, lambda_from_f, power_for_f
from placebolab.power.simulate import simulate_power

__all__ = ["analytic_power", "f_from_lambda", "f_test_power", "lambda_from_f", "power_for_f", "simulate_power"]
