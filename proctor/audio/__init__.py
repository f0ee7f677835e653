"""Listening to the exam: the microphone's audio becomes ``speech`` episodes (see docs/proctoring-engine.md).

``pcm`` decodes and resamples to 16-kHz mono, ``vad`` decides speech per 32-ms window, ``listener`` feeds
the episode engine and cuts the evidence clip.
"""
