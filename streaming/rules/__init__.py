"""Rules as data: pure rule objects that turn call events into alerts.

A rule gets events (`on_event`) and clock ticks (`on_tick`) with the time passed in, keeps its
own in-memory state, and returns alerts. No I/O and no clock: replaying the same events gives the
same alerts with the same ids (streaming.alerts.alert_id_for), which is what makes a restart
safe. `build_rules()` turns the validated `streaming.rules` section into rule objects."""

from __future__ import annotations

from streaming.rules.base import CallEvent, RuleContext, SiteInfo, StreamRule, event_from_leg
from streaming.rules.build import build_rules

__all__ = [
    "CallEvent",
    "RuleContext",
    "SiteInfo",
    "StreamRule",
    "build_rules",
    "event_from_leg",
]
