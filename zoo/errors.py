"""The zoo's exceptions.

Every error a user can cause is a ZooError whose message says what was wrong and what to do.
The CLI prints such errors on one line and exits non-zero; anything else is a bug.
"""


class ZooError(Exception):
    """Base class of the errors a user can cause."""


class UnknownNameError(ZooError, KeyError):
    """A model, architecture, dataset or kernel name that is not registered."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class IntegrityError(ZooError):
    """A file whose sha256 does not match the one recorded for it."""


class UnsafeArtifactError(ZooError):
    """An artifact that would run code when loaded (a Lambda layer, an unknown custom object)."""


class DataNotFoundError(ZooError, FileNotFoundError):
    """A dataset that is neither given, mirrored, cached nor downloadable."""


class InvalidInputError(ZooError, ValueError):
    """An argument or input the model cannot use."""


class HubError(ZooError):
    """The Hub refused a request, could not be reached, or answered something the zoo refuses."""
