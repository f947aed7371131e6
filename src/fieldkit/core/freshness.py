"""Whether a mirrored document is current, evaluated offline from the last manifest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

CURRENT = "current"
OUTDATED = "outdated"  # the hub has a newer version than the local copy
EXPIRING = "expiring"
EXPIRED = "expired"
WITHDRAWN = "withdrawn"
SUPERSEDED = "superseded"
PERSONAL = "personal"
ARCHIVED = "archived"


@dataclass(frozen=True)
class Freshness:
    state: str
    reason: str


def evaluate(
    *,
    version: int,
    local_version: int | None,
    expires: str | None,
    withdrawn: bool,
    superseded_by_title: str | None,
    today: date,
    expiring_days: int,
) -> Freshness:
    """The single most important state of a document, with a reason a rep understands."""
    if withdrawn:
        return Freshness(WITHDRAWN, "Withdrawn by marketing: do not use.")
    if superseded_by_title is not None:
        return Freshness(SUPERSEDED, f"Superseded by “{superseded_by_title}”.")
    expiry = _parse_date(expires)
    if expiry is not None and expiry < today:
        return Freshness(EXPIRED, f"Expired on {expiry.isoformat()}.")
    if local_version is not None and local_version < version:
        return Freshness(OUTDATED, f"You have v{local_version}; v{version} is available.")
    if expiry is not None and expiry <= today + timedelta(days=expiring_days):
        return Freshness(EXPIRING, f"Expires on {expiry.isoformat()}.")
    return Freshness(CURRENT, "Current version.")


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
