from __future__ import annotations

import pytest
from django.test import Client

from server.accounts.models import User
from server.school import demo


@pytest.fixture
def school(db) -> dict[str, User]:
    """The demo school in the test database, users by login."""
    demo.seed()
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def client_for(school):
    def make(username: str) -> Client:
        client = Client()
        client.force_login(school[username])
        return client

    return make
