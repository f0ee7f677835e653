"""What a test needs, in one place (the fixtures in tests/conftest.py are built from these).

* ``servers`` – redis-server, a live environment (``LiveEnvironment``: its own VAR_DIR and database with the demo
  school) and daphne processes on it; ``live_env.call(setups.lesson_now)`` runs a set-up there.
* ``setups`` – the set-ups and look-ups tests run in a live database (``live_call`` runs one in a process of it).
* ``client`` – HTTP login and WebSocket connections as a browser makes them (``logged_in``, ``receive_json``).
* ``browser`` – Debian Chromium with a fake webcam; ``login`` logs a Playwright page in through the login form.
* ``janus`` – a real Janus for lesson tests.
* ``waiting`` – ``wait_for`` a condition with a generous time-out (no test asserts how fast: bench/ measures).
* ``paths`` – the repository, the test data folder (../shared/testdata or ``CLASSROOM_TESTDATA``), artifacts.

In-process tests use the ``school`` and ``client_for`` fixtures (a Django test client logged in as a user).
"""
