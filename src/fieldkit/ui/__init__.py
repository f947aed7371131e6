"""The PySide6 desktop app. Uses fieldkit.core; never the other way round."""
