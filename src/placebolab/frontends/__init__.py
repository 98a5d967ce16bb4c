"""Frontends show steps: console, simulated (psychopy and web to come). Only frontends/psychopy imports psychopy."""
