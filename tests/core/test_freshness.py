from __future__ import annotations

from datetime import date

import pytest

from fieldkit.core import freshness

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("kwargs", "state"),
    [
        ({}, freshness.CURRENT),
        ({"local_version": 3}, freshness.OUTDATED),
        ({"expires": "2026-11-01"}, freshness.EXPIRED),
        ({"expires": "2026-12-05"}, freshness.EXPIRING),
        ({"expires": "2027-03-01"}, freshness.CURRENT),
        ({"withdrawn": True, "expires": "2020-01-01"}, freshness.WITHDRAWN),
        ({"superseded_by_title": "Acme 2026"}, freshness.SUPERSEDED),
        ({"expires": "not a date"}, freshness.CURRENT),
    ],
)
def test_states(kwargs: dict[str, object], state: str) -> None:
    args: dict[str, object] = {
        "version": 4,
        "local_version": 4,
        "expires": None,
        "withdrawn": False,
        "superseded_by_title": None,
        "today": TODAY,
        "expiring_days": 14,
    }
    args.update(kwargs)
    result = freshness.evaluate(**args)  # type: ignore[arg-type]
    assert result.state == state
    assert result.reason
