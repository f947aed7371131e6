"""Expected problems, each with a message a rep understands.

Anything that is not a FieldkitError is a bug: it is logged with its traceback and shown.
"""


class FieldkitError(Exception):
    """An expected problem; ``str(err)`` is the message shown to the user."""


class UsageError(FieldkitError):
    """The user asked for something that cannot be done as asked (bad argument, unknown name)."""


class StorageError(FieldkitError):
    """The local disk or database refused (disk full, permissions, damaged file)."""


class OfflineError(FieldkitError):
    """The hub could not be reached."""


class AuthError(FieldkitError):
    """The hub refused the token."""
