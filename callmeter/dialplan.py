"""The E.164 form of a dialled number from a site's dial plan (docs/design.md, "Configuration").

The batch layer does the same in dbt (macros/to_e164.sql); the sidecar uses this module, and
the tests keep the two in step on the same cases."""

from __future__ import annotations

from callmeter.config import Site

_DECORATION = str.maketrans("", "", " -().\t")

# Short emergency numbers per country code; dbt_project/seeds/emergency_numbers.csv mirrors it.
EMERGENCY_NUMBERS: dict[str, frozenset[str]] = {
    "1": frozenset({"911", "933"}),
    "33": frozenset({"112", "15", "17", "18"}),
    "44": frozenset({"999", "112"}),
    "49": frozenset({"110", "112"}),
    "61": frozenset({"000", "112"}),
}
_DEFAULT_EMERGENCY = frozenset({"112"})


def emergency_numbers(country_code: str) -> frozenset[str]:
    return EMERGENCY_NUMBERS.get(country_code, _DEFAULT_EMERGENCY)


def to_e164(number: str | None, site: Site) -> str | None:
    """Digits of the E.164 number without '+', or None for internal or unreadable numbers.

    Order: strip decoration; '+' means already E.164; a short emergency number becomes
    country code + number; the outside-line prefix is stripped where what follows is longer
    than an extension (or an emergency number); a number no longer than an extension is
    internal (None); then international prefix -> as is, national prefix -> country code +
    the rest, anything else -> a local number in the site's country."""
    if not number:
        return None
    digits = number.strip().translate(_DECORATION)
    if digits.startswith("+"):
        rest = digits[1:]
        return rest if rest.isdigit() else None
    if not digits.isdigit():
        return None
    emergency = emergency_numbers(site.country_code)
    if digits in emergency:
        return site.country_code + digits
    prefix = site.outside_line_prefix
    if prefix and digits.startswith(prefix):
        rest = digits[len(prefix) :]
        if rest in emergency:
            return site.country_code + rest
        if len(rest) > site.extension_digits:
            digits = rest
    if len(digits) <= site.extension_digits:
        return None
    intl, national = site.international_prefix, site.national_prefix
    if intl and digits.startswith(intl):
        return digits[len(intl) :] or None
    if national and digits.startswith(national):
        return site.country_code + digits[len(national) :]
    return site.country_code + digits
