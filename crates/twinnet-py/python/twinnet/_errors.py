"""twinnet's exceptions. Each twinnet error derives from :class:`TwinnetError` and from the
built-in exception it stands for, so ``except ValueError`` or ``except FileNotFoundError``
catch them as well."""


class TwinnetError(Exception):
    """Any error twinnet reports; the message is twinnet's own, causes included."""


class InvalidInputError(TwinnetError, ValueError):
    """Bad input: a malformed file, an unknown setting, an image the model cannot take."""


class NotFoundError(TwinnetError, FileNotFoundError):
    """A file or directory that twinnet needs does not exist."""


class TwinnetIOError(TwinnetError, OSError):
    """Reading or writing failed for another reason (permissions, a full disk)."""
