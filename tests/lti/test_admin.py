"""Platform registrations are managed in the admin, deployments inline; keys are listed, never edited there."""

from __future__ import annotations

from lti import keys
from lti.models import Deployment, Platform


def test_an_administrator_registers_a_platform_with_its_deployment(school, client_for):
    admin = client_for("admin")
    assert admin.get("/admin/lti/platform/add/").status_code == 200
    form = {
        "name": "Moodle колледжа",
        "issuer": "https://moodle.college.example",
        "client_id": "abc123",
        "auth_login_url": "https://moodle.college.example/mod/lti/auth.php",
        "auth_token_url": "https://moodle.college.example/mod/lti/token.php",
        "auth_audience": "",
        "key_set_url": "https://moodle.college.example/mod/lti/certs.php",
        "mentor_role": "",
        "active": "on",
        "deployments-TOTAL_FORMS": "1",
        "deployments-INITIAL_FORMS": "0",
        "deployments-0-deployment_id": "1",
    }
    response = admin.post("/admin/lti/platform/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    platform = Platform.objects.get()
    assert (platform.issuer, list(Deployment.objects.values_list("deployment_id", flat=True))) == (
        "https://moodle.college.example",
        ["1"],
    )


def test_signing_keys_are_not_edited_in_the_admin(school, client_for):
    admin = client_for("admin")
    key = keys.signing_key()
    assert admin.get("/admin/lti/toolkey/add/").status_code == 403
    page = admin.get(f"/admin/lti/toolkey/{key.pk}/change/").content.decode()
    assert "BEGIN PRIVATE KEY" not in page
