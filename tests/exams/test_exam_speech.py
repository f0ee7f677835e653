"""The microphone: Chromium's fake microphone plays a sentence -> aiortc -> the analyst's voice detector -> a
``speech`` episode on the proctor's socket, with its clip served like a snapshot; an exam whose policy does not
listen never asks for the microphone."""

from __future__ import annotations

import re

import pytest

from tests.exams.helpers import episode_of, microphone_file, next_event, scenario, start_exam
from tests.support.browser import login
from tests.support.client import logged_in, receive_json

pytestmark = [pytest.mark.browser, pytest.mark.media]


async def test_speech_in_the_room_reaches_the_proctor_with_its_clip(
    private_network, make_exam, daphne_factory, browser_factory, tmp_path
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference)
    server = daphne_factory()
    proctor_http = logged_in(server.url, "proctor")
    proctor = await proctor_http.websocket(f"/ws/proctor/exams/{exam_id}/")
    await receive_json(proctor)

    fake_microphone = f"--use-file-for-fake-audio-capture={microphone_file(tmp_path)}"
    browser = await browser_factory(fake_video=clip, extra_args=[fake_microphone])
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)
    assert await page.locator("#check-mic").get_attribute("data-ok") == "1"
    assert "слушает микрофон" in await page.locator("#mic-notice").inner_text()  # the student is told
    await page.locator("#step-exam").wait_for(state="visible", timeout=30_000)

    # The sentence comes round every 14 s; its episode opens 3 s into it and closes at its end.
    opened = await next_event(proctor, episode_of("speech"), timeout=40)
    assert opened["episode"]["has_evidence"]
    closed = await next_event(proctor, episode_of("speech", "episode.closed"), timeout=20)
    assert closed["episode"]["id"] == opened["episode"]["id"]

    # The proctor's review page plays the clip, served only through the permission-checked evidence view.
    status, body = proctor_http.get(f"/proctor/sessions/{opened['episode']['session']}/")
    assert status == 200
    source = re.search(r'<audio class="evidence"[^>]* src="([^"]+)"', body.decode())
    assert source is not None
    status, headers, wav = proctor_http.request("GET", source.group(1))
    assert (status, headers.get("content-type"), wav[:4]) == (200, "audio/wav", b"RIFF")
    assert logged_in(server.url, "student").get(source.group(1))[0] == 404  # not the student's to hear mid-exam


async def test_an_exam_that_does_not_listen_never_asks_for_the_microphone(
    private_network, make_exam, daphne_factory, browser_factory
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference, policy={"rules": {"speech": {"enabled": False}}})
    server = daphne_factory()
    browser = await browser_factory(fake_video=clip)
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)
    assert await page.locator("#check-mic").is_hidden()
    assert await page.locator("#mic-notice").count() == 0
    tracks = "document.getElementById('preview').srcObject.getTracks().map((t) => t.kind)"
    assert await page.evaluate(tracks) == ["video"]
