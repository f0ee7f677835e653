"""The review player (issue 14): a real attempt recorded through the media worker plays on the review page in
Chromium; moving to a review item (J/K, or its mark on the timeline) starts the recording a few seconds before the
flag, the speeds change the playback rate, and a click on the timeline seeks there. (The whole attempt with its
flags from the real analysis and a killed media worker: test_attempt_evidence.py.)"""

from __future__ import annotations

import pytest

from tests.exams import media_setups
from tests.exams.helpers import (
    LEAD,
    choose_item,
    open_review,
    player_position,
    plays_from,
    record_attempt,
    timeline_kinds,
)

pytestmark = [pytest.mark.browser, pytest.mark.media]

STREAMED_SECONDS = 12
WAVEFORM_PIXELS = """c => {
  const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let found = 0;
  for (let i = 0; i < data.length; i += 4) found += data[i] === 122 && data[i + 1] === 134 && data[i + 2] === 153;
  return found;
}"""  # pixels of review_player.js's waveform colour, #7a8699
FLAGS = (("multiple_faces", 5.0), ("speech", 9.0))  # kind, seconds into the recording


async def test_the_player_jumps_to_each_item_before_its_flag_plays_at_each_speed_and_seeks_on_a_click(
    private_network, make_exam, daphne_factory, live_env, browser_factory
):
    exam_id = make_exam(None)
    server = daphne_factory()
    session_id = await record_attempt(server, exam_id, STREAMED_SECONDS)
    live_env.call(media_setups.episodes, session=session_id)  # whatever the analysis flagged stays
    for kind, offset in FLAGS:
        live_env.call(media_setups.flag_in_recording, session=session_id, kind=kind, offset=offset, seconds=1.5)

    page, camera = await open_review(await browser_factory(), server.url, session_id)
    duration = await camera.evaluate("v => v.duration")
    assert STREAMED_SECONDS - 1 <= duration <= STREAMED_SECONDS + 8
    assert await page.locator("video.player-screen").is_hidden()  # no screen in this attempt

    kinds = await timeline_kinds(page)
    for kind, offset in FLAGS:  # J moves to the next item of the timeline and plays from a little before it
        await choose_item(page, kinds.index(kind))
        await plays_from(page, camera, offset - LEAD, kind)

    await page.get_by_role("button", name="4×").click()
    assert await camera.evaluate("v => v.playbackRate") == 4
    assert await page.get_by_role("button", name="4×").get_attribute("aria-pressed") == "true"
    await page.keyboard.press("k")  # back to the first flag
    assert abs(await player_position(page) - (FLAGS[0][1] - LEAD)) < 0.6

    timeline = page.locator("#player canvas.player-timeline")
    assert await timeline.evaluate(WAVEFORM_PIXELS) > 0  # the tone's waveform, drawn under the marks
    box = await timeline.bounding_box()
    await camera.evaluate("v => v.pause()")
    await timeline.click(position={"x": box["width"] * 0.1, "y": 2})  # away from any mark: seek there
    assert abs(await player_position(page) - duration * 0.1) < 0.6
    clock = await page.locator("#player .player-clock").inner_text()
    assert len(clock.split(":")) == 3, clock
