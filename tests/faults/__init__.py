"""`make faults`: the project's own fault suite (issue 11).

Runs the real `billing serve`, `billing worker` and `billing scheduler` against a PostgreSQL
cluster and a Redis server of its own (stores.py), delivers a realistic world of Stripe events
(world.py) shuffled and duplicated through a sender that retries like Stripe (sender.py), injects
faults (scenarios.py, hostile.py), and compares the end state with the oracle (checks.py).
`python -m tests.faults --help` lists the options.
"""
