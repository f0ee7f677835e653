"""``python -m deploy.cluster.seed PASSWORD``: the demo school, once, with the cluster's password for its logins.

The cluster is a production start (SECRET_KEY from the environment, ALLOWED_HOSTS naming the edge's
address), and a production start refuses demo logins that keep their published ``<login>-demo``
password (server/startup.py). So the demo logins get the cluster's own password instead, kept in
``<root>/secrets.json`` and printed by ``make cluster``. Both happen in one transaction, so no start
ever finds the demo with its published passwords; a later start finds the demo and does nothing.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("password")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from server.accounts.models import User
    from server.school import demo

    if demo.demo_exists():
        print("Demo school already present.")
        return
    with transaction.atomic():
        call_command("seed_demo", quiet_logins=True, skip_checks=True)
        logins = [user.username for user in demo.DEMO_USERS]
        User.objects.filter(username__in=logins).update(password=make_password(args.password))  # one hash, not 12


if __name__ == "__main__":
    main()
