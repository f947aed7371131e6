"""Helpers of the UI tests: a launcher that records, and libraries of real files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

from fieldkit.hub import Hub, HubServer

PDF_PAGES = (
    "Halyard Sentinel data sheet. Overview of the product family.",
    "Sentinel watches every pipeline for anomalies and explains each alert in plain words.",
    "Contact your account team for a trial. Support is available around the clock.",
)


@dataclass
class RecordingLauncher:
    """Stands in for the desktop: records what it was asked to open, launches nothing."""

    opened: list[Path] = field(default_factory=list)
    shown: list[Path] = field(default_factory=list)

    def open_file(self, path: Path) -> None:
        self.opened.append(path)

    def show_in_folder(self, path: Path) -> None:
        self.shown.append(path)


def write_pdf(path: Path, pages: tuple[str, ...]) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=14)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    pdf.output(str(path))
    return path


def write_library(folder: Path) -> Path:
    """A small folder of a rep's own files: text, Markdown and a three-page PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pricing notes.txt").write_text(
        "Enterprise pricing for the Halyard platform.\nRenewal discounts apply after a year.\n",
        encoding="utf-8",
    )
    (folder / "Battlecards").mkdir()
    (folder / "Battlecards" / "Cobaltline.md").write_text(
        "# Halyard vs Cobaltline\n\nCobaltline charges per seat; Halyard pricing is per pipeline."
        "\n\nAsk about audit trails: Cobaltline has none.\n",
        encoding="utf-8",
    )
    write_pdf(folder / "Sentinel data sheet.pdf", PDF_PAGES)
    (folder / "Old price list.pdf").write_bytes(b"%PDF-1.4\n damaged beyond repair")
    return folder


def write_hub_folder(root: Path) -> Path:
    """An approved folder for a hub: four documents marketing published, one superseded."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Battlecards").mkdir()
    (root / "Battlecards" / "Halyard vs Stratosync.md").write_text(
        "# Halyard vs Stratosync\n\nStratosync has no lineage view. Lead with lineage.\n",
        encoding="utf-8",
    )
    (root / "Objection handling.txt").write_text(
        "When the buyer says the lineage view is a nice-to-have, show the audit story.\n",
        encoding="utf-8",
    )
    write_pdf(root / "Lineage one-pager.pdf", ("Lineage in one page", "Audit trails for lineage"))
    (root / "Lineage note 2025.txt").write_text(
        "Lineage in 2025: the first audit trail release.\n", encoding="utf-8"
    )
    (root / "Lineage note 2025.txt.meta.toml").write_text(
        'title = "Lineage note (2025)"\nsuperseded_by = "Lineage one-pager.pdf"\n',
        encoding="utf-8",
    )
    return root


@contextmanager
def running_hub(root: Path, db: Path) -> Iterator[tuple[HubServer, str]]:
    """A real hub over ``root`` on a free port of 127.0.0.1, and a rep's token for it."""
    hub = Hub.open(root, str(db))
    token = hub.reps.add("rep")
    server = HubServer(hub).start()
    try:
        yield server, token
    finally:
        server.stop()
