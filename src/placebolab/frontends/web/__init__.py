"""The web frontend: online sessions in participants' browsers (``placebolab links``, ``placebolab serve``).

``screens`` holds the ``SCREENS`` table (no web server needed to check a protocol against it); ``app`` the
Starlette app, which needs the ``web`` extra (starlette, uvicorn, python-multipart).
"""
