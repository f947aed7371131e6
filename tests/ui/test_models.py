"""Every item model of the app, checked by Qt's model tester and on its own behaviour."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QSettings, QSortFilterProxyModel, Qt
from pytestqt.modeltest import ModelTester

from fieldkit.core.index import Hit
from fieldkit.core.library import FailedFile
from fieldkit.ui.facets_model import FACET_ROLE, FacetsModel
from fieldkit.ui.health import READING, SYNC, Problem, ProblemsModel, reading_problems
from fieldkit.ui.history import MAX_QUERIES, QueryHistory
from fieldkit.ui.results_model import (
    FOLDER,
    LOCATION,
    MODIFIED,
    ROW_ROLE,
    SNIPPET_ROLE,
    SORT_ROLE,
    STATUS,
    TITLE,
    VERSION,
    ResultsModel,
)
from fieldkit.ui.results_view import snippet_runs


def make_hit(n: int, **changes: object) -> Hit:
    values: dict[str, object] = {
        "doc_id": f"d{n}",
        "path": f"/library/doc {n}.pdf",
        "title": f"Document {n}",
        "format": "pdf",
        "score": 1.0 / (n + 1),
        "location_kind": "page",
        "location_number": n + 1,
        "also": (),
        "snippet": f"about <b>pricing</b> &amp; terms {n}",
        "status": "current",
        "version": n,
        "modified": datetime(2025, 1, 1 + n, tzinfo=UTC),
        "folder": "Data sheets",
        "tags": ("pricing",),
        "personal": False,
    }
    values.update(changes)
    return Hit(**values)  # type: ignore[arg-type]


def test_results_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = ResultsModel()
    qtmodeltester.check(model)
    model.set_hits(tuple(make_hit(n) for n in range(5)))
    qtmodeltester.check(model)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(MODIFIED, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)
    model.set_hits(())
    assert model.rowCount() == 0


def test_results_model_shows_each_column() -> None:
    model = ResultsModel()
    hit = make_hit(2, status="expired", also=(5, 9), version=12)
    model.set_hits((hit,))
    display = [model.index(0, c).data() for c in range(model.columnCount())]
    assert display[TITLE] == "Document 2"
    assert display[LOCATION] == "p. 3 +2"
    assert display[STATUS] == "Expired"
    assert display[VERSION] == "v12"
    assert display[MODIFIED] == "3 Jan 2025"
    assert display[FOLDER] == "Data sheets"
    assert model.index(0, TITLE).data(ROW_ROLE) is hit
    assert model.index(0, TITLE).data(SNIPPET_ROLE) == hit.snippet
    assert model.index(0, LOCATION).data(Qt.ItemDataRole.ToolTipRole) == "Also on page 5, 9"
    assert "Expired" in model.index(0, TITLE).data(Qt.ItemDataRole.AccessibleTextRole)
    current = ResultsModel()
    current.set_hits((make_hit(1),))
    assert current.index(0, STATUS).data() == ""


def test_sort_role_keeps_large_values_whole() -> None:
    """Sort keys are floats and strings: Python ints can come back truncated to 32 bits."""
    model = ResultsModel()
    late = make_hit(0, modified=datetime(2100, 1, 1, tzinfo=UTC), version=3_000_000_000)
    early = make_hit(1, modified=datetime(1999, 1, 1, tzinfo=UTC), version=2)
    model.set_hits((early, late))
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(VERSION, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, 0).data(ROW_ROLE) is late
    proxy.sort(MODIFIED, Qt.SortOrder.AscendingOrder)
    assert proxy.index(0, 0).data(ROW_ROLE) is early
    assert proxy.index(1, MODIFIED).data(SORT_ROLE) == late.modified.timestamp()


def test_status_sorts_most_urgent_first() -> None:
    model = ResultsModel()
    model.set_hits(
        tuple(make_hit(n, status=s) for n, s in enumerate(("current", "withdrawn", "expiring")))
    )
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(STATUS, Qt.SortOrder.AscendingOrder)
    order = [proxy.index(r, 0).data(ROW_ROLE).status for r in range(3)]
    assert order == ["withdrawn", "expiring", "current"]


def test_dragged_rows_carry_file_urls() -> None:
    model = ResultsModel()
    model.set_hits((make_hit(0), make_hit(1)))
    mime = model.mimeData([model.index(1, TITLE), model.index(0, FOLDER), model.index(1, STATUS)])
    paths = [url.toLocalFile() for url in mime.urls()]
    assert paths == ["/library/doc 0.pdf", "/library/doc 1.pdf"]
    assert mime.data("x-special/gnome-copied-files").data().startswith(b"copy\nfile:///")
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsDragEnabled
    assert "text/uri-list" in model.mimeTypes()


def test_snippet_runs_split_bold_matches_and_decode_entities() -> None:
    assert snippet_runs("about <b>pricing</b> &amp;\n terms") == [
        ("about ", False),
        ("pricing", True),
        (" & terms", False),
    ]


def test_facets_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = FacetsModel()
    qtmodeltester.check(model)
    model.set_facets(
        {"format": {"pdf": 3, "md": 1}, "status": {"current": 4}, "tag": {}, "folder": {"": 2}},
        {},
    )
    qtmodeltester.check(model)
    titles = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert titles == ["Format", "Status"]  # empty groups and the top folder are left out
    formats = model.index(0, 0)
    assert [model.index(r, 0, formats).data() for r in range(2)] == ["PDF", "Markdown"]
    assert model.index(0, 1, formats).data() == "3"


def test_facet_click_toggles_one_value_per_group() -> None:
    model = FacetsModel()
    model.set_facets({"format": {"pdf": 3, "md": 1}, "tag": {"pricing": 2}}, {"tag": "pricing"})
    formats = model.index(0, 0)
    pdf = model.index(0, 0, formats)
    assert pdf.data(FACET_ROLE) == ("format", "pdf")
    assert model.toggled(pdf) == {"tag": "pricing", "format": "pdf"}
    assert model.toggled(formats) is None
    tags = model.index(1, 0)
    pricing = model.index(0, 0, tags)
    assert pricing.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.toggled(pricing) == {}


def test_chosen_facet_stays_listed_when_results_no_longer_count_it() -> None:
    model = FacetsModel()
    model.set_facets({"format": {"md": 1}}, {"format": "pdf"})
    formats = model.index(0, 0)
    values = [model.index(r, 0, formats).data(FACET_ROLE) for r in range(model.rowCount(formats))]
    assert ("format", "pdf") in values


def test_problems_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = ProblemsModel()
    qtmodeltester.check(model)
    unreadable = reading_problems([FailedFile("/lib/Old deck.pptx", "password-protected")])
    problems = (*unreadable, Problem(SYNC, "price-sheet", "checksum did not match", "hub"))
    model.set_problems(problems)
    qtmodeltester.check(model)
    assert model.index(0, 0).data() == "Old deck.pptx"
    assert model.index(0, 1).data() == "password-protected"
    assert model.index(0, 2).data() == str(Path("/lib"))
    assert model.index(1, 1).data() == "Sync: checksum did not match"
    assert problems[0].kind == READING


def test_query_history_keeps_recent_queries_first_and_persists(
    qtmodeltester: ModelTester, qsettings: QSettings
) -> None:
    history = QueryHistory(qsettings)
    qtmodeltester.check(history.model)
    history.remember("pricing")
    history.remember("  anomaly   alerts ")
    history.remember("pricing")
    history.remember("")
    assert history.queries() == ["pricing", "anomaly alerts"]
    for n in range(MAX_QUERIES + 5):
        history.remember(f"query {n}")
    assert len(history.queries()) == MAX_QUERIES
    qsettings.sync()
    again = QueryHistory(QSettings(qsettings.fileName(), QSettings.Format.IniFormat))
    assert again.queries() == history.queries()
