"""Chat attachments: photos, audio, video and files uploaded over HTTP and attached to messages.

Upload (``POST /chat/rooms/<id>/attachments/``) stores a file whose type is decided by its
content (see :mod:`.sniffing`), then a ``send`` frame with ``attachments: [id, …]`` binds it to
the message. Files are read only through :mod:`.views`, which checks room membership first.
"""
