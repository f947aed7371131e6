"""Client settings, declared once: type, default and description, stored in the catalog."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

from fieldkit.core.errors import UsageError


def _setting(default: Any, description: str) -> Any:
    return field(default=default, metadata={"description": description})


@dataclass(frozen=True)
class Settings:
    extraction_workers: int = _setting(2, "Worker processes that extract text (one per core).")
    extraction_timeout_s: float = _setting(30.0, "Longest time one file may take to extract.")
    extraction_memory_mb: int = _setting(1024, "Memory cap of one extraction worker, in MB.")
    max_text_chars: int = _setting(2_000_000, "Most characters of text kept per file.")
    max_file_mb: int = _setting(512, "Files larger than this are not read.")
    parallel_downloads: int = _setting(4, "Files downloaded at once during a sync.")
    metered: bool = _setting(False, "Metered connection: download only pinned documents.")
    expiring_days: int = _setting(14, "Days before expiry when a document counts as expiring.")
    usage_signals: bool = _setting(True, "Send which documents are opened and searches run.")

    @classmethod
    def describe(cls) -> dict[str, str]:
        return {f.name: str(f.metadata["description"]) for f in fields(cls)}

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        known = {f.name: f for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**values)

    def with_value(self, name: str, raw: str | int | float | bool) -> Settings:
        """A copy with one setting changed, parsing ``raw`` to the setting's type."""
        known = {f.name: f for f in fields(self)}
        if name not in known:
            raise UsageError(f"Unknown setting '{name}'. Known: {', '.join(sorted(known))}.")
        current = getattr(self, name)
        try:
            value: Any
            if isinstance(current, bool):
                value = raw if isinstance(raw, bool) else _parse_bool(str(raw))
            else:
                value = type(current)(raw)
        except ValueError as exc:
            raise UsageError(f"Setting '{name}' needs a {type(current).__name__}: {raw!r}") from exc
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
            raise UsageError(f"Setting '{name}' must be greater than zero.")
        return dataclasses.replace(self, **{name: value})


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(text)
