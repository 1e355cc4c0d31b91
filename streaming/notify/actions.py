"""The "block extension" action, for PBXs that allow it: a command or an HTTP call.

The command is an argv list run without a shell; `{extension}`, `{tenant_id}`, `{site_id}`,
`{alert_id}` and `{rule}` are replaced by the alert's values, each as one whole argument. Values
come from PBX records, so they are checked first: only letters, digits and `_ . @ + * # -`, and
never a leading `-` (it would read as an option). An alert without the value a placeholder needs
fails at once, without retries: no retry could supply it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from typing import Any
from urllib.parse import quote

from streaming.notify.base import Job, Outcome, describe
from streaming.notify.config import PLACEHOLDERS
from streaming.notify.webhook import http_attempt, make_client, signed_headers

_SAFE = re.compile(r"^[A-Za-z0-9_.@+*#][A-Za-z0-9_.@+*#-]*$")
_FIELD = re.compile(r"\{(" + "|".join(sorted(PLACEHOLDERS)) + r")\}")


class UnsafeValue(ValueError):
    """An alert value that cannot be put into a command or URL."""


def fill(template: str, alert: dict[str, Any], *, url: bool = False) -> str:
    """Replace the placeholders of one argv item or URL with the alert's checked values.

    Args:
        template: e.g. `--extension={extension}`.
        alert: The alert's payload.
        url: Percent-encode the values (for a URL template).

    Raises:
        UnsafeValue: A needed value is missing or has characters outside the safe set.
    """

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        raw = alert.get(name)
        if raw in (None, ""):
            raise UnsafeValue(f"the alert has no {name}")
        text = str(raw)
        if not _SAFE.match(text):
            raise UnsafeValue(f"refusing {name} {text!r}: only letters, digits and _.@+*#- allowed")
        return quote(text, safe="") if url else text

    return _FIELD.sub(value, template)


class CommandBlockSender:
    """Runs the configured command; exit status 0 is success."""

    def __init__(self, command: list[str], timeout: float) -> None:
        self._command = command
        self._timeout = timeout

    async def send(self, job: Job, attempt: int) -> Outcome:
        """Run the command once, killing it (and its children) if it outlives the timeout."""
        try:
            argv = [fill(part, job.fields) for part in self._command]
        except UnsafeValue as error:
            return Outcome(ok=False, error=str(error), permanent=True)
        env = dict(os.environ, CALLMETER_ALERT_ID=job.alert_id, CALLMETER_ATTEMPT=str(attempt))
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                start_new_session=True,  # so a timeout can kill the whole process group
            )
        except OSError as error:
            return Outcome(ok=False, error=f"cannot run {argv[0]!r}: {describe(error)}")
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=self._timeout)
        except TimeoutError:
            _kill_group(process.pid)
            await process.wait()
            return Outcome(ok=False, error=f"timeout: {argv[0]} ran longer than {self._timeout} s")
        except asyncio.CancelledError:
            _kill_group(process.pid)
            raise
        if process.returncode == 0:
            return Outcome(ok=True, code=0)
        tail = stderr.decode(errors="replace").strip()[-300:]
        message = f"{argv[0]} exited with status {process.returncode}"
        return Outcome(
            ok=False, code=process.returncode, error=f"{message}: {tail}" if tail else message
        )

    async def aclose(self) -> None:
        return None


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


class HttpBlockSender:
    """Calls the configured URL with the alert as JSON (no body for GET/DELETE); 2xx is success."""

    def __init__(
        self, url: str, method: str, secret: bytes | None, timeout: float, concurrency: int
    ) -> None:
        self._url = url
        self._method = method
        self._secret = secret
        self._client = make_client(timeout, concurrency)

    async def send(self, job: Job, attempt: int) -> Outcome:
        """One HTTP call, signed like a webhook when the target has a secret_env."""
        try:
            url = fill(self._url, job.fields, url=True)
        except UnsafeValue as error:
            return Outcome(ok=False, error=str(error), permanent=True)
        body = job.payload.encode() if self._method in ("POST", "PUT") else b""
        headers = signed_headers(self._secret, body, job, attempt)
        return await http_attempt(self._client, self._method, url, body or None, headers)

    async def aclose(self) -> None:
        await self._client.aclose()
