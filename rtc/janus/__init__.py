"""Janus SFU for video lessons: config generation, process supervision and an async HTTP API client.

Browsers never talk to Janus; only our server does, over Janus's HTTP API bound to loopback.
"""
