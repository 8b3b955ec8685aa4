"""The time zone a person's pages are drawn in: the one they chose, else their
browser's, else the site's (TSMON_TIME_ZONE).

Both come as cookies: `tsmon_tz` is set by the preferences page, and
`tsmon_browser_tz` by web/static/tsmon/tz.js from the browser's own
setting (Intl), so a first page in another zone is drawn again once in the
browser's. A choice is kept per browser, as the browser's zone is; no
account data is needed. Names are checked against the IANA database that
zoneinfo knows; anything else is ignored.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

CHOICE_COOKIE = "tsmon_tz"
BROWSER_COOKIE = "tsmon_browser_tz"
CHOICE_MAX_AGE = 365 * 86400


@dataclass(frozen=True)
class PersonZone:
    name: str
    source: str  # "chosen", "browser" or "site"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.name)


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_zone(name: str | None) -> str | None:
    """`name` if it is an IANA time zone zoneinfo knows, else None."""
    name = (name or "").strip()
    return name if name in known_zones() else None


def person_zone(request) -> PersonZone:
    if chosen := valid_zone(request.COOKIES.get(CHOICE_COOKIE)):
        return PersonZone(chosen, "chosen")
    if browser := valid_zone(request.COOKIES.get(BROWSER_COOKIE)):
        return PersonZone(browser, "browser")
    return PersonZone(settings.TIME_ZONE, "site")
