"""The bugs the fuzzers found, one focused test each (in-process, so they also run on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest

from server.query_values import query_date, strict_int

UNICODE_DIGITS = ["²", "٣", "１２", "߁"]  # str.isdigit() says yes to each; int() refuses or reads another number


@pytest.mark.parametrize("raw", [*UNICODE_DIGITS, "", " 1", "1 ", "-1", "+1", "1.0", "9" * 5000, "1" * 17, None])
def test_strict_int_refuses_all_but_ascii_digits_in_range(raw: str | None) -> None:
    assert strict_int(raw) is None


def test_strict_int_reads_ascii_digits_within_bounds() -> None:
    assert [strict_int("0"), strict_int("007"), strict_int(str(2**53)), strict_int("5", 1, 4)] == [0, 7, 2**53, None]


@pytest.mark.parametrize("raw", ["2024-02-30", "2024-13-01", "9999-12-31", "0001-01-01", "2024-1-1", "２０２４-01-01"])
def test_query_date_refuses_impossible_and_extreme_dates(raw: str) -> None:
    assert query_date(raw) is None


def test_query_date_reads_an_iso_date() -> None:
    assert query_date("2026-09-15") == dt.date(2026, 9, 15)


@pytest.mark.parametrize("query", ["from=2024-02-30", "to=2024-13-45", "from=9999-12-31&to=9999-12-31", "from=²"])
def test_curator_answer_report_with_a_malformed_date_shows_the_default_period(school, client_for, query) -> None:
    response = client_for("curator").get(f"/chat/answers/report/?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "2024-02-30"])
@pytest.mark.parametrize("period", ["week", "fortnight", "month", "term"])
def test_report_periods_at_the_ends_of_the_calendar_fall_back_to_today(school, client_for, period, date) -> None:
    response = client_for("director").get(f"/reports/activity/?period={period}&date={date}")
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["before=²", "limit=٣", f"before={'9' * 5000}", "before=99999999999999999999"])
def test_chat_history_with_a_non_ascii_or_huge_number_is_a_bad_param(school, client_for, query) -> None:
    response = client_for("student").get(f"/chat/rooms/1/messages?{query}")
    assert (response.status_code, response.json()["error"]) == (400, "bad_param")


@pytest.mark.parametrize("student", ["²", "9" * 5000, "1" * 20])
def test_consent_for_a_child_named_by_a_hostile_id_is_not_found(school, client_for, student) -> None:
    assert client_for("parent").post("/proctor/consent/", {"student": student}).status_code == 404


@pytest.mark.parametrize("run", ["²", "1" * 20])
def test_absence_reason_for_a_hostile_run_id_is_not_found(school, client_for, run) -> None:
    response = client_for("curator").post("/reports/attendance/reason/", {"run": run, "student": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize("proctor", ["1" * 20, "²", "-1"])
def test_exam_form_refuses_a_hostile_proctor_id_as_a_form_error(school, client_for, proctor) -> None:
    response = client_for("admin").post("/proctor/exams/new/", {"title": "Физика", "proctors": [proctor]})
    assert response.status_code == 200
    assert "proctors" in response.context["form"].errors


SOCKETS = ["chat", "notifications", "dashboard", "exam", "lesson"]


@pytest.mark.parametrize("protocol", SOCKETS)
def test_a_lone_surrogate_in_a_ref_is_refused_as_bad_json_and_the_socket_stays_open(open_sockets, protocol) -> None:
    outcome = open_sockets[protocol].exchange('{"type": "ping", "ref": "x\\ud800"}')
    assert (outcome.closed, outcome.errors) == (None, ["bad_json"])


@pytest.mark.parametrize("protocol", SOCKETS)
def test_nesting_deeper_than_the_json_parser_is_refused_as_bad_json(open_sockets, protocol) -> None:
    outcome = open_sockets[protocol].exchange('{"type": "ping", "ref": ' + "[" * 5000 + "]" * 5000 + "}")
    assert (outcome.closed, outcome.errors) == (None, ["bad_json"])


@pytest.mark.parametrize(
    "path",
    ["/proctor/evidence/a%00b/", "/lti/login/?iss=a%00b&login_hint=x&target_link_uri=http://x", "/chat/?room=%00"],
)
def test_a_nul_character_in_a_path_or_query_is_refused_with_400_on_every_database(school, client_for, path) -> None:
    assert client_for("admin").get(path).status_code == 400


def test_a_nul_character_in_a_form_field_is_refused_with_400(school, client_for) -> None:
    form = urlencode({"student": "1\x00"})
    response = client_for("parent").post("/proctor/consent/", form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_login_longer_than_any_account_is_a_wrong_login_not_a_server_error(school, path) -> None:
    from django.test import Client

    form = urlencode({"username": "9" * 5000, "password": "x"})
    response = Client().post(path, form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("path", ["/chat/", "/admin/proctor/episode/", "/reports/"])
def test_a_login_redirect_for_a_huge_query_fits_a_proxys_header_buffer(db, path) -> None:
    from django.test import Client

    response = Client().get(f"{path}?q={'9' * 5000}")
    assert response.status_code == 302
    assert response["Location"] in {"/accounts/login/", "/admin/login/"}


def test_a_login_redirect_keeps_a_normal_next(db) -> None:
    from django.test import Client

    assert Client().get("/reports/?period=week")["Location"] == "/accounts/login/?next=/reports/%3Fperiod%3Dweek"
