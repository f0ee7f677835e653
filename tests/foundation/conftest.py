from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def client_for(school):
    def make(username: str) -> Client:
        client = Client()
        client.force_login(school[username])
        return client

    return make
