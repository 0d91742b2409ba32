"""Errors a user can cause, one type per kind.

Each message names the file or setting at fault and says what to do, in one line.
The command line prints ``str(error)`` alone, without a traceback.

Notebook: used by every chapter.
"""

from __future__ import annotations


class GenrelibError(Exception):
    """Base class of every error a user of genrelib can cause and fix."""


class AudioDecodeError(GenrelibError):
    """An audio file is corrupt, truncated, empty or not audio at all."""


class TrackTooShortError(GenrelibError):
    """A track is shorter than one chunk (or than the length a run needs)."""


class DatasetNotFoundError(GenrelibError):
    """A dataset folder is missing, empty or incomplete."""


class DownloadError(GenrelibError):
    """A download failed (offline, unreachable mirror) or its checksum did not match."""


class UnsafeArchiveError(GenrelibError):
    """An archive holds a member whose path would land outside the target folder."""


class WeightsUnavailableError(GenrelibError):
    """Pretrained weights were asked for but are neither cached nor downloadable."""


class DeviceUnavailableError(GenrelibError):
    """A compute device was asked for (e.g. ``cuda``) that this machine does not have."""


class CheckpointError(GenrelibError):
    """A checkpoint file is missing, corrupt or was made by an incompatible config."""


class RunNotStoredError(GenrelibError):
    """A run must be read back (training is switched off) but no finished run is stored."""


class ConfigError(GenrelibError, ValueError):
    """A parameter value is invalid (scikit-learn style parameter validation)."""
