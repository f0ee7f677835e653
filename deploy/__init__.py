"""Deployment files (nginx, Janus image) and ``python -m deploy.cluster``, the scaled layout on one machine."""
