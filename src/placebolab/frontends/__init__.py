"""Frontends show steps: console (a terminal), simulated (no one) and psychopy (a lab window); a browser
frontend is to come. Only frontends/psychopy imports psychopy."""
