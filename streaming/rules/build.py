"""From the validated `streaming.rules` section to rule objects (loading rate cards and
baselines, which is the only I/O here), and the site facts rules need."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from callmeter.config import CallmeterConfig
from streaming import settings as cfg
from streaming.rules.base import RuleContext, SiteInfo, StreamRule
from streaming.rules.capacity import Concurrent, FeedSilence, TrunkSaturation
from streaming.rules.fraud import AfterHours, Burst, HighCost, PremiumDestination, load_rate_card
from streaming.rules.volume import Anomaly, Threshold, load_baselines


def build_rule(rule: cfg.Rule) -> StreamRule:
    """One rule object from its YAML entry."""
    common = (rule.id, rule.severity, rule.notify)
    match rule:
        case cfg.PremiumDestinationRule():
            return PremiumDestination(*common, prefixes=rule.prefixes)
        case cfg.HighCostRule():
            return HighCost(
                *common, load_rate_card(rule.rate_card), rule.rate_per_minute, rule.max_cost
            )
        case cfg.AfterHoursRule():
            return AfterHours(
                *common, rule.start, rule.end, rule.weekends, rule.holidays, rule.include_inbound
            )
        case cfg.BurstRule():
            return Burst(*common, rule.calls, rule.seconds, rule.outbound_only)
        case cfg.ConcurrentRule():
            return Concurrent(*common, per=rule.per, limit=rule.max)
        case cfg.TrunkSaturationRule():
            return TrunkSaturation(*common, percent=rule.percent)
        case cfg.FeedSilenceRule():
            return FeedSilence(*common, rule.minutes, rule.listeners)
        case cfg.ThresholdRule():
            return Threshold(
                *common, rule.metric, rule.per, rule.window_seconds, rule.max, rule.cooldown_seconds
            )
        case cfg.AnomalyRule():
            return Anomaly(
                *common, load_baselines(rule.baselines), rule.k, rule.min_value, list(rule.metrics)
            )
    raise ValueError(f"rule {rule.id!r}: unsupported type")


def build_rules(
    rules: list[cfg.Rule], previous: dict[str, tuple[cfg.Rule, StreamRule]] | None = None
) -> dict[str, tuple[cfg.Rule, StreamRule]]:
    """Rule objects by id. On a reload, a rule whose YAML did not change keeps its object and
    so its state (burst windows, cool-downs); a changed rule starts fresh."""
    previous = previous or {}
    built: dict[str, tuple[cfg.Rule, StreamRule]] = {}
    for rule in rules:
        kept = previous.get(rule.id)
        built[rule.id] = kept if kept is not None and kept[0] == rule else (rule, build_rule(rule))
    return built


def rule_context(config: CallmeterConfig, settings: cfg.StreamingSettings) -> RuleContext:
    sites = {
        (t.id, s.id): SiteInfo(t.id, s.id, ZoneInfo(s.timezone), dict(s.trunk_channels))
        for t in config.tenants
        for s in t.sites
    }
    listeners = {feed.name: (feed.tenant, feed.site) for feed in settings.feeds}
    return RuleContext(sites, listeners)
