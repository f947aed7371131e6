from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from fieldkit.core.settings import Settings
from fieldkit.ui.settings_dialog import SettingsDialog, SettingsForm


def test_dialog_edits_and_hands_back_the_form(qtbot: QtBot, tmp_path: Path) -> None:
    opened: list[Path] = []
    extra = tmp_path / "Accounts"
    form = SettingsForm(
        settings=Settings(),
        hub_url="http://hub.example",
        token="",
        has_token=True,
        mirror=tmp_path / "Approved content",
        folders=(tmp_path / "Old",),
    )
    dialog = SettingsDialog(form, open_folder=opened.append, folder_picker=lambda _parent: extra)
    qtbot.addWidget(dialog)
    assert dialog.token.placeholderText().startswith("Saved")

    dialog.parallel.setValue(7)
    dialog.metered.setChecked(True)
    dialog.expiring.setValue(30)
    dialog.token.setText(" new-token ")
    dialog.folders.setCurrentRow(0)
    dialog.remove_folder.click()
    dialog.add_folder.click()
    dialog.add_folder.click()  # the same folder twice is listed once
    result = dialog.result_form()

    assert result.settings == Settings(parallel_downloads=7, metered=True, expiring_days=30)
    assert result.token == "new-token"
    assert result.hub_url == "http://hub.example"
    assert result.folders == (extra,)
    assert form.folders == (tmp_path / "Old",)  # the form handed in is untouched

    dialog.show_mirror.click()
    assert opened == [tmp_path / "Approved content"]
