"""Alert notifications for the sidecar: signed webhooks, apprise (email, chat, SMS) and the
block-extension action, behind a durable, idempotent dispatcher (docs/notifications.md)."""
