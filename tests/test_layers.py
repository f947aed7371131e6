"""The core and the hub know nothing of Qt: importing every module loads no PySide6."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import fieldkit


def _modules(prefix: str) -> list[str]:
    names = [prefix]
    package = __import__(prefix, fromlist=["_"])
    for info in pkgutil.walk_packages(package.__path__, prefix + "."):
        names.append(info.name)
    return names


def test_core_and_hub_import_no_qt() -> None:
    modules = _modules("fieldkit.core") + _modules("fieldkit.hub") + ["fieldkit.cli"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('PySide6'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"Qt loaded by the core: {result.stdout}"
    assert "fieldkit.core.library" in modules
    assert fieldkit.__version__
