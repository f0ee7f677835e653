"""Live proctoring: what happens while students sit an exam (analysis, episodes, session state)."""
