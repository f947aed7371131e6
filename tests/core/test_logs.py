from __future__ import annotations

import logging
from pathlib import Path

from fieldkit.core.logs import PersonalDataFilter, install_file_logging


def test_log_file_holds_no_home_path_or_user_name(tmp_path: Path) -> None:
    path = install_file_logging(tmp_path / "logs")
    handler = logging.getLogger("fieldkit").handlers[-1]
    for existing in handler.filters:
        handler.removeFilter(existing)
    handler.addFilter(PersonalDataFilter(home="/home/jdoe", user="jdoe"))
    try:
        log = logging.getLogger("fieldkit.test")
        log.warning("cannot read %s", "/home/jdoe/Downloads/Pricing v3.xlsx")
        try:
            raise OSError("denied: /home/jdoe/secret.docx")
        except OSError:
            log.exception("failed for jdoe")
        handler.flush()
    finally:
        logging.getLogger("fieldkit").removeHandler(handler)
        handler.close()
    text = path.read_text()
    assert "~/Downloads/Pricing v3.xlsx" in text
    assert "~/secret.docx" in text
    assert "jdoe" not in text
    assert "Traceback" in text
