"""``python -m deploy.cluster.seed PASSWORD``: the demo school, once, with the cluster's password for its logins.

The cluster is a production start (SECRET_KEY from the environment, ALLOWED_HOSTS naming the edge's
address), and a production start refuses demo logins that keep their published ``<login>-demo``
password (server/startup.py). So the demo logins get the cluster's own password instead, kept in
``<root>/secrets.json`` and printed by ``make cluster``.
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
    from django.core.management import call_command

    from server.accounts.models import User
    from server.startup import demo_logins_with_demo_passwords

    call_command("seed_demo", quiet_logins=True, skip_checks=True)
    for user in User.objects.filter(username__in=demo_logins_with_demo_passwords()):
        user.set_password(args.password)
        user.save(update_fields=["password"])


if __name__ == "__main__":
    main()
