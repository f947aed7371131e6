"""The Settings group of folders searched for old copies: suggestions, add, remove, changes."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from fieldkit.ui.freshness_feature import FolderChanges
from fieldkit.ui.watched_folders import WatchedFoldersGroup


def test_suggestions_add_and_remove_make_the_changes(qtbot: QtBot, tmp_path: Path) -> None:
    downloads, desktop, projects = (tmp_path / n for n in ("Downloads", "Desktop", "Projects"))
    group = WatchedFoldersGroup(
        [desktop], [downloads], folder_picker=lambda _parent: projects
    )
    qtbot.addWidget(group)
    group.show()
    assert group.folders() == (desktop,)
    assert group.changes() == FolderChanges((), ())
    [suggestion] = group.suggestion_buttons
    assert suggestion.text() == "+ Downloads"

    suggestion.click()
    assert not suggestion.isVisible()
    group.add_button.click()
    group.list.setCurrentRow(0)
    group.remove_button.click()
    assert group.folders() == (downloads, projects)
    assert group.changes() == FolderChanges(added=(downloads, projects), removed=(desktop,))

    group.list.setCurrentRow(0)
    group.remove_button.click()
    assert suggestion.isVisible()  # Downloads can be suggested again
    assert group.changes() == FolderChanges(added=(projects,), removed=(desktop,))


def test_no_suggestions_left_hides_the_row(qtbot: QtBot, tmp_path: Path) -> None:
    group = WatchedFoldersGroup([tmp_path], [], folder_picker=lambda _parent: None)
    qtbot.addWidget(group)
    group.show()
    group.add_button.click()  # the picker was cancelled
    assert group.folders() == (tmp_path,)
    assert group.suggestion_buttons == []
