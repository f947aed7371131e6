"""The values extraction hands out, the failure reasons, and the per-file text budget."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from fieldkit.core.errors import FieldkitError

UnitKind = Literal["page", "slide", "sheet"]

DEFAULT_MAX_CHARS: Final = 2_000_000

# Every failure carries one of these short phrases; the UI and the CLI show them as they are.
PASSWORD_PROTECTED: Final = "password-protected"
DAMAGED: Final = "damaged file"
UNSUPPORTED: Final = "unsupported format"
TOO_SLOW: Final = "took too long"
TOO_LARGE: Final = "too large"
EMPTY: Final = "empty file"
OUT_OF_MEMORY: Final = "out of memory"
UNREADABLE: Final = "can't be read"
REASONS: Final = (
    PASSWORD_PROTECTED,
    DAMAGED,
    UNSUPPORTED,
    TOO_SLOW,
    TOO_LARGE,
    EMPTY,
    OUT_OF_MEMORY,
    UNREADABLE,
)


@dataclass(frozen=True)
class Unit:
    """One piece of a document: a page, a slide, a sheet, or the whole text of a flat document."""

    kind: UnitKind | None
    number: int | None
    text: str
    label: str | None = None


@dataclass(frozen=True)
class Extracted:
    format: str
    title: str
    units: tuple[Unit, ...]
    truncated: bool
    chars: int


@dataclass(frozen=True)
class Failure:
    """Why a file could not be extracted: ``reason`` is one of REASONS, ``detail`` is for logs."""

    reason: str
    detail: str


class ExtractionFailed(FieldkitError):
    """A file could not be extracted; ``reason`` is one of REASONS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[ExtractionFailed], tuple[str, str]]:
        return (ExtractionFailed, (self.reason, self.detail))


class TextBudget:
    """Counts the characters kept for one file and cuts the text at ``max_chars``.

    Extractors feed text through ``take`` and stop reading as soon as ``truncated`` is set.
    """

    def __init__(self, max_chars: int) -> None:
        self.left = max_chars
        self.truncated = False

    def take(self, text: str) -> str:
        if len(text) <= self.left:
            self.left -= len(text)
            return text
        self.truncated = True
        kept = text[: self.left]
        self.left = 0
        return kept


class UnitText:
    """Collects the lines of one unit against the file's budget."""

    def __init__(self, budget: TextBudget) -> None:
        self.budget = budget
        self.parts: list[str] = []

    def line(self, text: str) -> bool:
        """Adds one line (blank lines are dropped); False once the budget is spent."""
        if self.budget.truncated:
            return False
        if text and not text.isspace():
            self.parts.append(self.budget.take(text + "\n"))
        return not self.budget.truncated

    def text(self) -> str:
        return "".join(self.parts)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Normalises line ends and drops control characters (for text that did not come from XML)."""
    return _CONTROL.sub("", _NEWLINES.sub("\n", text))


_PLACEHOLDER_TITLES: Final = frozenset(
    {
        "untitled", "untitled document", "title", "document", "presentation",
        "powerpoint presentation", "slide 1", "(anonymous)", "anonymous",
    }
)  # fmt: skip
MAX_TITLE_CHARS: Final = 300


def clean_title(raw: str | None) -> str | None:
    """A title fit to show, or None when ``raw`` is empty or an application's placeholder."""
    if not raw:
        return None
    title = _SPACES.sub(" ", _CONTROL.sub("", raw)).strip()
    if title.lower().startswith("microsoft word - "):
        title = title[len("microsoft word - ") :].strip()
    if not title or title.lower() in _PLACEHOLDER_TITLES:
        return None
    return title[:MAX_TITLE_CHARS]


def finish(
    fmt: str, title: str | None, fallback: str, units: list[Unit], budget: TextBudget
) -> Extracted:
    """Builds the result, dropping empty units and choosing the title."""
    kept = tuple(u for u in units if u.text)
    return Extracted(
        format=fmt,
        title=clean_title(title) or fallback,
        units=kept,
        truncated=budget.truncated,
        chars=sum(len(u.text) for u in kept),
    )
