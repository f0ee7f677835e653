"""Issue 14, "done when": a student's whole attempt in Chromium — fake camera (a second face at known times), fake
microphone (a sentence at known times), the shared screen — through the scaled layout, its media worker killed
mid-attempt; the proctor's review player then plays the attempt's one recording across the kill and moves to the
``multiple_faces`` and ``speech`` items that the real analysis flagged (nothing here is inserted by a set-up)."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime

import av
import pytest

from tests.exams import media_setups
from tests.exams.helpers import (
    LEAD,
    choose_item,
    kill_media_worker,
    microphone_file,
    next_event,
    open_review,
    plays_from,
    scenario,
    session_state,
    share_screen,
    start_exam,
    timeline_kinds,
)
from tests.lessons.browsers import SCREEN_ARGS
from tests.support.browser import login
from tests.support.client import logged_in, receive_json
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.media]

# second_person.y4m shows a second face 3-6 s into each 9-s loop; the microphone file speaks 4-9 s into each 14 s.
FLAGGED = ("multiple_faces", "speech")
SPEECH_SECONDS = 2.0  # the waveform is loud this long from a speech episode's start ...
QUIET_FROM, QUIET_TO = 7.0, 12.0  # ... and quiet this long after it (the sentence lasts ~5 s of the 14-s loop)


async def flags_opened(proctor, timeout: float) -> dict[str, dict]:
    """The next ``episode.opened`` frame of each kind of FLAGGED, whatever their order."""
    opened: dict[str, dict] = {}
    while len(opened) < len(FLAGGED):
        frame = await next_event(
            proctor,
            lambda f: f["type"] == "episode.opened" and f["episode"]["kind"] in set(FLAGGED) - set(opened),
            timeout=timeout,
        )
        opened[frame["episode"]["kind"]] = frame["episode"]
    return opened


def packet_times(webm: bytes) -> tuple[float, list[float]]:
    """The seconds of a WebM's first packet (of any stream) and of its video packets."""
    with av.open(io.BytesIO(webm)) as container:
        packets = [p for p in container.demux() if p.pts is not None and p.size]
        times = [(float(p.pts * p.time_base), p.stream.type) for p in packets]
    return min(t for t, _ in times), sorted(t for t, kind in times if kind == "video")


async def test_an_attempt_s_flags_play_in_the_review_player_from_one_recording_across_a_killed_media_worker(
    private_network, live_env, make_exam, redis_server, daphne_factory, media_worker_factory, browser_factory, tmp_path
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference)  # the default policy: camera, microphone and screen
    workers = media_worker_factory.several(["alpha", "beta"], {"REDIS_URL": redis_server.url})
    server = daphne_factory(redis_url=redis_server.url)
    proctor_http = logged_in(server.url, "proctor")
    proctor = await proctor_http.websocket(f"/ws/proctor/exams/{exam_id}/")
    assert (await receive_json(proctor))["type"] == "snapshot"

    fake_microphone = f"--use-file-for-fake-audio-capture={microphone_file(tmp_path)}"
    browser = await browser_factory(fake_video=clip, extra_args=[*SCREEN_ARGS, fake_microphone])
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)
    assert await page.locator("#check-mic").get_attribute("data-ok") == "1"
    await share_screen(page)
    await page.locator("#step-exam").wait_for(state="visible", timeout=30_000)

    # The first worker's analysis sees the second face and hears the sentence; then it is killed mid-attempt.
    before_kill = await flags_opened(proctor, timeout=60)
    session_id = before_kill["speech"]["session"]
    assert before_kill["multiple_faces"]["session"] == session_id
    holder = workers[live_env.call(media_setups.placement, session=session_id)]
    survivor = next(worker for worker in workers.values() if worker is not holder)
    fail_over = await kill_media_worker(holder, survivor, proctor, page, live_env, session_id)
    after_kill = await flags_opened(proctor, timeout=60)  # the live worker's analysis: the clips loop on
    assert {episode["session"] for episode in after_kill.values()} == {session_id}
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.locator("#submit-button").click()
    assert (await next_event(proctor, session_state("ended"), timeout=15))["end_reason"] == "submitted"
    await proctor.close()

    # Pieces from both workers: the killed one's (started before the kill, cut: never closed), the live one's (after
    # it, closed at the end).
    pieces = await wait_for(
        lambda: (rows := live_env.call(media_setups.recording_pieces, session=session_id))[-1][1] > 0 and rows,
        timeout=30,
        what="the live worker's piece closed",
    )
    starts = [datetime.fromisoformat(started) for started, _, _ in pieces]
    cut = [piece for piece, start in zip(pieces, starts, strict=True) if start < fail_over.killed_at]
    resumed = [start for start in starts if start > fail_over.killed_at]
    assert cut, (pieces, fail_over.killed_at)
    assert resumed, (pieces, fail_over.killed_at)
    assert cut[-1][1] == 0, pieces  # cut by the kill: its size never noted
    assert all(screen for _, _, screen in pieces), pieces  # the screen recorded in each

    # The manifest: one recording from the first piece's start over both workers' parts, screen included.
    status, body = await asyncio.to_thread(proctor_http.get, f"/proctor/sessions/{session_id}/recording.json")
    assert status == 200, body[:300]
    manifest = json.loads(body)
    started_at = datetime.fromisoformat(manifest["started_at"])
    assert started_at == starts[0]
    assert manifest["camera"]
    assert manifest["screen"]

    def offset(iso: str) -> float:
        return (datetime.fromisoformat(iso) - started_at).total_seconds()

    killed, resumed_at = (fail_over.killed_at - started_at).total_seconds(), offset(resumed[0].isoformat())
    episodes = live_env.call(media_setups.episodes, session=session_id)
    flags = {kind: [offset(started) for _, of, started, _ in episodes if of == kind] for kind in FLAGGED}
    print(f"killed at {killed:.1f} s, resumed at {resumed_at:.1f} s, flags {flags}, duration {manifest['duration']}")
    for kind in FLAGGED:  # each flag of both workers lies in the recording, before the kill or after the resumption
        assert 0 <= offset(before_kill[kind]["started_at"]) < killed, kind
        assert resumed_at <= offset(after_kill[kind]["started_at"]) < manifest["duration"], kind
        assert all(0 <= flag < killed or resumed_at <= flag < manifest["duration"] for flag in flags[kind]), kind

    # The joined files span the kill: the killed worker's part up to its flags, the live worker's after it.
    media_from = {}  # the first packet: nothing was received before it (the peer was still connecting)
    for url, flagged in ((manifest["camera"], True), (manifest["screen"], False)):
        status, _, webm = await asyncio.to_thread(proctor_http.request, "GET", url)
        assert status == 200
        media_from[url], times = packet_times(webm)
        before, after = [t for t in times if t < killed], [t for t in times if t >= resumed_at]
        assert before, (url, times)
        assert after, (url, times)
        assert len(before) + len(after) == len(times), (url, times)  # nothing in the gap
        if flagged:
            assert before[-1] > max(offset(before_kill[kind]["started_at"]) for kind in FLAGGED), url
            assert after[-1] > max(offset(after_kill[kind]["started_at"]) for kind in FLAGGED), url

    # The microphone in the recording is where the analysis heard speech: loud at each speech flag, quiet after.
    waveform, step = manifest["waveform"], 10  # values a second
    for flag in flags["speech"]:
        speech = max(waveform[round(flag * step) : round((flag + SPEECH_SECONDS) * step)])
        quiet = waveform[round((flag + QUIET_FROM) * step) : round((flag + QUIET_TO) * step)]
        print(f"speech at {flag:.1f} s: peak {speech:.3f}, quiet {max(quiet, default=0):.3f}")
        assert speech > 0.05, (flag, speech)
        assert speech > 2 * max(quiet, default=0), (flag, speech, quiet)

    # The proctor's player: the whole recording, the screen beside it; J moves to each flagged item and plays from
    # a few seconds before its flag (the first occurrence: the killed worker's), or from the first received frame
    # if the flag came sooner (the browser starts a seek before the file's first packet there).
    page, camera = await open_review(browser, server.url, session_id)
    assert abs(await camera.evaluate("v => v.duration") - manifest["duration"]) < 1.5
    screen = page.locator("#player video.player-screen")
    assert await screen.is_visible()
    await wait_for(lambda: screen.evaluate("v => v.readyState >= 1"), what="the screen recording's metadata")
    kinds = await timeline_kinds(page)
    items = page.locator("#timeline .episode")
    item_starts = [offset(await items.nth(i).get_attribute("data-start")) for i in range(len(kinds))]
    assert item_starts == sorted(item_starts), kinds
    print("timeline:", ", ".join(f"{kind} {start:.1f} s" for kind, start in zip(kinds, item_starts, strict=True)))
    for kind in sorted(FLAGGED, key=kinds.index):
        index = kinds.index(kind)
        assert await items.nth(index).get_attribute("data-episode") == str(before_kill[kind]["id"])
        await choose_item(page, index)
        await plays_from(page, camera, max(media_from[manifest["camera"]], item_starts[index] - LEAD), kind, screen)

    # The live worker's part plays too: a click on the timeline at its speech flag seeks there.
    target = offset(after_kill["speech"]["started_at"])
    timeline = page.locator("#player canvas.player-timeline")
    box = await timeline.bounding_box()
    await camera.evaluate("v => v.pause()")
    await timeline.click(position={"x": box["width"] * target / manifest["duration"], "y": 2})
    await page.get_by_role("button", name="Пуск / пауза").click()
    await plays_from(page, camera, target, "after the kill", screen)
