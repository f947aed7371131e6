from __future__ import annotations

import pytest

from fieldkit.core.errors import UsageError
from fieldkit.core.settings import Settings


def test_every_setting_is_described() -> None:
    described = Settings.describe()
    assert set(described) == set(Settings().to_json())
    assert all(text.endswith(".") for text in described.values())


def test_values_parse_to_their_types_and_round_trip() -> None:
    changed = Settings().with_value("parallel_downloads", "8").with_value("metered", "yes")
    assert changed.parallel_downloads == 8
    assert changed.metered is True
    assert Settings.from_json(changed.to_json()) == changed


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("nope", "1", "Unknown setting"),
        ("parallel_downloads", "many", "needs a int"),
        ("parallel_downloads", "0", "greater than zero"),
        ("metered", "maybe", "needs a bool"),
    ],
)
def test_bad_values_get_clear_messages(name: str, raw: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Settings().with_value(name, raw)
