"""The hub marketing runs over the approved folder. Nothing here may import PySide6."""
