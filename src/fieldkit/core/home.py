"""Where a client's state lives: one folder, chosen once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

HOME_ENV = "FIELDKIT_HOME"


@dataclass(frozen=True)
class HomePaths:
    """Every path the client writes to, all under ``root``."""

    root: Path

    @property
    def catalog_db(self) -> Path:
        return self.root / "catalog.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def mirror_dir(self) -> Path:
        """Default location of the approved-content mirror (a normal, visible folder)."""
        return self.root / "Approved content"

    @property
    def archive_dir(self) -> Path:
        """Withdrawn documents, kept out of the searchable mirror."""
        return self.root / "archive"

    @property
    def my_edits_dir(self) -> Path:
        """A rep's edits to mirrored files, kept when the approved copy is restored."""
        return self.root / "My edits"

    @property
    def downloads_dir(self) -> Path:
        """Partial downloads; never under a final name."""
        return self.root / "downloads"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> HomePaths:
        self.root.mkdir(parents=True, exist_ok=True)
        return self


def resolve_home(cli_home: str | os.PathLike[str] | None = None) -> HomePaths:
    """``--home`` wins, then ``FIELDKIT_HOME``, then the per-user data folder."""
    if cli_home:
        root = Path(cli_home)
    elif os.environ.get(HOME_ENV):
        root = Path(os.environ[HOME_ENV])
    else:
        root = Path(platformdirs.user_data_dir("fieldkit", appauthor=False))
    return HomePaths(root.expanduser().resolve())
