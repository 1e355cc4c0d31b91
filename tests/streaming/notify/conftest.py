"""The real receivers (tests/streaming/receivers.py) as fixtures for the notification tests."""

from tests.streaming.receivers import smtp_server, webhook_receiver  # noqa: F401 (fixtures)
