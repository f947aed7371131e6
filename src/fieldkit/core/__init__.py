"""The Qt-free core: catalog, extraction, index, sync. Nothing here may import PySide6."""
