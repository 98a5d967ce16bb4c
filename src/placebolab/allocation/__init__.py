"""Allocation schemes: complete randomization and (stratified) permuted blocks of random sizes."""

from placebolab.allocation.schemes import generate_slots, strata, stratum_of

__all__ = ["generate_slots", "strata", "stratum_of"]
