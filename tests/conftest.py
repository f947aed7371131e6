from __future__ import annotations

from pathlib import Path

import pytest

from fieldkit.core.home import HomePaths


@pytest.fixture
def home(tmp_path: Path) -> HomePaths:
    """A fresh client home folder."""
    return HomePaths(tmp_path / "home").ensure()
