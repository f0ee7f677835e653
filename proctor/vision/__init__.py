"""Frame analysis for proctoring: one module per model, and the analyser that schedules them.

See docs/proctoring-engine.md; the live ingest uses :class:`proctor.vision.analyzer.SessionAnalyzer`.
"""
