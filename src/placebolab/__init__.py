"""placebolab: placebo experiments that manipulate the clinician–patient relationship."""

__version__ = "0.1.0"
