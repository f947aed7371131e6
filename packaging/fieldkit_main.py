"""Entry point of the frozen (PyInstaller) fieldkit: the same CLI as the ``fieldkit`` script.

``multiprocessing.freeze_support()`` must run first: the extraction pool's fork server and
resource tracker are started as copies of this executable, and PyInstaller's version of
``freeze_support`` recognises those command lines, runs the helper and exits.

Started with no arguments from a desktop launcher — the Windows ``fieldkit-app.exe`` or the macOS
``fieldkit.app`` bundle — it opens the app instead of printing the command-line help.
"""

import multiprocessing
import sys
from pathlib import Path


def _opened_from_desktop() -> bool:
    executable = Path(sys.executable)
    return executable.stem == "fieldkit-app" or executable.parent.name == "MacOS"


if __name__ == "__main__":
    multiprocessing.freeze_support()
    from fieldkit.cli import main

    arguments = sys.argv[1:]
    if not arguments and _opened_from_desktop():
        arguments = ["app"]
    sys.exit(main(arguments))
