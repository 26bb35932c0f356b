"""Exceptions raised by acquire_zarr.

Code written for the published package catches ``RuntimeError`` around
stream creation and appends, so every error the engine reports is a
``RuntimeError``. Errors caused by a bad value (a setting, a key, a JSON
document) are additionally ``ValueError``s, so either ``except`` works.
"""

from __future__ import annotations

from typing import Optional

__all__ = ["AcquireZarrError", "InvalidSettingsError"]


class AcquireZarrError(RuntimeError):
    """An operation of the acquire-zarr engine failed.

    Attributes:
        status: Name of the C status code (e.g. ``"WriteOutOfBounds"``,
            ``"IOError"``), or None when the failure has no status code
            (e.g. a stream that could not be created).
    """

    def __init__(self, message: str, status: Optional[str] = None) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self):
        # Keep `status` across pickling (e.g. into multiprocessing workers).
        return (type(self), (str(self), self.status))


class InvalidSettingsError(AcquireZarrError, ValueError):
    """A setting or argument has an invalid value.

    Raised when stream settings fail validation (the message names the field
    and the value), and for invalid arguments such as an unknown array key or
    malformed JSON metadata.
    """
