"""``manage.py convert_lesson_recordings [--recording ID]``: make the WebM files of stopped lesson recordings.

The server starts one of these per stopped recording by itself (lessons.recordings.start_conversion); without
``--recording`` it is the safety net to run every few minutes: it stops the recordings of lessons nobody ended
and converts whatever waits (a server that died before its conversion ran).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from lessons import recordings


class Command(BaseCommand):
    help = "Обработать остановленные записи уроков (файлы Janus → WebM для просмотра на странице урока)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recording", type=int, help="only this recording (the server's own call)")

    def handle(self, *args: object, recording: int | None = None, **options: object) -> None:
        if recording is None:
            stopped = recordings.stop_unended()
            if stopped:
                self.stdout.write(f"stopped: {stopped} recording(s) of lessons nobody ended")
        for recording_id in [recording] if recording is not None else recordings.waiting():
            status = recordings.convert_recording(recording_id)
            self.stdout.write(f"recording {recording_id}: {status or 'not waiting (another converter has it)'}")
