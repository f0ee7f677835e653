"""Property-based fuzzing (Hypothesis) of every socket protocol and every HTTP endpoint, on a real daphne.

Run by `make test` (tests/fuzz/test_*.py, against a private daphne) and, against `make cluster`'s edge, by
``python -m tests.fuzz --target cluster`` (see docs/security.md "Fuzzing").
"""
