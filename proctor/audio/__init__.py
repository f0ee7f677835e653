"""Listening to the exam: the microphone's audio becomes ``speech`` episodes (see docs/proctoring-engine.md).

``pcm`` reads a file's audio as 16-kHz mono (and writes the WAV clip), ``vad`` decides speech per 32-ms window,
``listener`` feeds the episode engine and cuts the evidence clip.
"""
