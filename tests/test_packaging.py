"""The packaging files stay consistent with the code: icons, the Linux menu entry and AppStream
metadata, the Windows installer script, the PyInstaller spec and its entry point.

The frozen build itself is built and smoke-tested by ``packaging/build_linux.sh`` (minutes, so not
part of this suite).
"""

from __future__ import annotations

import configparser
import importlib.util
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

from fieldkit import __version__

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
LINUX = ROOT / "packaging" / "linux"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def load_script(name: str) -> ModuleType:
    """A script under packaging/ as a module (its ``__main__`` part does not run)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "packaging" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ico_sizes(data: bytes) -> list[int]:
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for n in range(count):
        width, _h, _c, _r, _p, _b, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * n : 22 + 16 * n]
        )
        side = width or 256
        assert png_size(data[offset : offset + length]) == (side, side)
        sizes.append(side)
    return sizes


def test_the_packaged_icon_is_the_one_the_app_shows() -> None:
    shown = ROOT / "src" / "fieldkit" / "ui" / "icons" / "fieldkit.svg"
    assert (ICONS / "fieldkit.svg").read_bytes() == shown.read_bytes()


def test_committed_icons_have_every_size() -> None:
    make_icons = load_script("make_icons")
    for size in make_icons.PNG_SIZES:
        assert png_size((ICONS / f"fieldkit-{size}.png").read_bytes()) == (size, size)
    assert ico_sizes((ICONS / "fieldkit.ico").read_bytes()) == list(make_icons.ICO_SIZES)
    icns = (ICONS / "fieldkit.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)


def test_make_icons_renders_every_size_from_the_svg(qapp: object, tmp_path: Path) -> None:
    make_icons = load_script("make_icons")
    written = make_icons.make_icons(tmp_path)
    assert sorted(p.name for p in written) == sorted(
        [f"fieldkit-{s}.png" for s in make_icons.PNG_SIZES] + ["fieldkit.ico", "fieldkit.icns"]
    )
    assert png_size((tmp_path / "fieldkit-48.png").read_bytes()) == (48, 48)
    assert ico_sizes((tmp_path / "fieldkit.ico").read_bytes()) == list(make_icons.ICO_SIZES)


def test_the_desktop_entry_starts_the_app_with_its_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(LINUX / "fieldkit.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"] == "fieldkit app"
    assert section["TryExec"] == "fieldkit"
    assert section["Icon"] == "fieldkit"
    # Qt reports the desktop file name as the window's app id: it must match this file's name.
    launch = (ROOT / "src" / "fieldkit" / "ui" / "launch.py").read_text(encoding="utf-8")
    assert 'setDesktopFileName("fieldkit")' in launch
    assert section["StartupWMClass"] == "fieldkit"


def test_the_appstream_metadata_names_this_release_and_the_desktop_entry() -> None:
    component = ET.parse(LINUX / "app.fieldkit.Fieldkit.metainfo.xml").getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == "app.fieldkit.Fieldkit"
    assert component.findtext("launchable") == "fieldkit.desktop"
    assert component.findtext("icon") == "fieldkit"
    releases = component.findall("releases/release")
    assert releases[0].get("version") == __version__
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", releases[0].get("date") or "")


def test_the_windows_installer_matches_the_build() -> None:
    script = (ROOT / "packaging" / "windows" / "fieldkit.iss").read_text(encoding="utf-8")
    assert f'#define MyAppVersion "{__version__}"' in script
    here = ROOT / "packaging" / "windows"
    icon = re.search(r"^SetupIconFile=(.+)$", script, re.MULTILINE)
    assert icon is not None and (here / icon.group(1).replace("\\", "/")).is_file()
    assert 'Source: "..\\..\\dist\\fieldkit\\*"' in script
    spec = (ROOT / "packaging" / "fieldkit.spec").read_text(encoding="utf-8")
    assert 'name="fieldkit-app"' in spec and '#define MyAppExeName "fieldkit-app.exe"' in script


def test_the_spec_is_python_and_names_files_that_exist() -> None:
    spec = (ROOT / "packaging" / "fieldkit.spec").read_text(encoding="utf-8")
    compile(spec, "fieldkit.spec", "exec")
    assert '"packaging" / "fieldkit_main.py"' in spec
    assert (ROOT / "packaging" / "fieldkit_main.py").is_file()
    for name in ("fieldkit.ico", "fieldkit-512.png"):
        assert f'ICONS / "{name}"' in spec and (ICONS / name).is_file()


def test_the_entry_point_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "fieldkit_main.py"), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"fieldkit {__version__}")


@pytest.mark.parametrize(
    ("executable", "expected"),
    [
        ("C:/Program Files/fieldkit/fieldkit-app.exe", True),
        ("/Applications/fieldkit.app/Contents/MacOS/fieldkit", True),
        ("/opt/fieldkit/fieldkit", False),
        ("C:/Program Files/fieldkit/fieldkit.exe", False),
    ],
)
def test_started_from_a_desktop_launcher_without_arguments_opens_the_app(
    monkeypatch: pytest.MonkeyPatch, executable: str, expected: bool
) -> None:
    entry = load_script("fieldkit_main")
    monkeypatch.setattr(sys, "executable", executable)
    assert entry._opened_from_desktop() is expected
