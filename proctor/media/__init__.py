"""Exam media: the student's exam socket, the media workers that hold the camera's aiortc peer and the
live analysis, the channel-layer link between them, and the grades the exam page sends at."""
