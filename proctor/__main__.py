import os
import sys

# Decoder chatter (FFmpeg, OpenCV warnings) would bury the one-line error the CLI promises.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

from .cli import main

sys.exit(main())
