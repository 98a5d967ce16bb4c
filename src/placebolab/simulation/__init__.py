"""Simulated participants: how they answer (``model``) and running a whole simulated study (``run``)."""
