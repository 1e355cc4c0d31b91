"""apprise email, for real: the dispatcher sends through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from pathlib import Path

from streaming.notify.apprise_target import format_message
from streaming.notify.dispatcher import Dispatcher
from tests.streaming.notify.helpers import make_alert, run
from tests.streaming.receivers import SmtpSink, free_port


def _mail(port: int, **options: object) -> dict:
    url = f"mailto://127.0.0.1:{port}?from=callmeter@example.com&to=soc@example.com"
    return {"id": "mail", "type": "apprise", "url": url, "timeout": 5, **options}


def test_an_email_arrives_with_the_rule_and_the_extension(
    smtp_server: SmtpSink, tmp_path: Path
) -> None:
    async def scenario() -> list:
        dispatcher = Dispatcher.from_config([_mail(smtp_server.port)], tmp_path)
        await dispatcher.start()
        await dispatcher.submit(make_alert("premium-mail"))
        records = await dispatcher.wait_settled("premium-mail")
        await dispatcher.stop()
        return records

    [record] = run(scenario())
    assert (record.target_id, record.status, record.attempts) == ("mail", "delivered", 1)
    [message] = smtp_server.wait_for(1)
    subject = str(message["Subject"])
    assert "premium" in subject and "2001" in subject
    assert "soc@example.com" in str(message["To"])
    text = message.get_body(preferencelist=("plain", "html")).get_content()
    assert "Extension:     2001" in text
    assert "premium (premium_destination)" in text
    assert "premium-mail" in text  # the alert id, for correlation with the webhook


def test_an_unreachable_mail_server_is_retried_then_logged_as_failed(tmp_path: Path) -> None:
    closed = free_port()

    async def scenario() -> list:
        target = _mail(closed, max_attempts=2, backoff_base=0.01, backoff_cap=0.02, timeout=2)
        dispatcher = Dispatcher.from_config([target], tmp_path)
        await dispatcher.start()
        await dispatcher.submit(make_alert("premium-nomail"))
        records = await dispatcher.wait_settled("premium-nomail", timeout=30)
        await dispatcher.stop()
        return records

    [record] = run(scenario())
    assert (record.status, record.attempts) == ("failed", 2)
    assert record.last_error


def test_the_email_text_reads_well_without_optional_fields() -> None:
    payload = make_alert(extension=None, called_e164=None, details={}, message="").as_payload()
    title, body = format_message(payload)
    assert title == "[Callmeter] HIGH premium: extension unknown called 909071234567 (acme/london)"
    assert "Rule premium fired." in body
    assert "Called E.164:  -" in body
