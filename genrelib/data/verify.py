"""Decode every clip of a dataset and report the ones that cannot be used.

A clip is bad when it is empty (0 bytes or 0 frames), not audio (e.g. a text file
renamed ``.wav``), corrupt (unreadable header, decode error, non-finite samples),
truncated (the header promises more audio than the file holds) or shorter than
``min_seconds``. Nothing raises: each file gets ``ok`` and a one-line ``reason``.

The Kaggle copy of GTZAN ships a ``jazz.00054.wav`` that cannot be decoded; its
reason says so, so that the report explains the one bad file everybody meets.

Notebook: 01_dataset.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from genrelib.data.gtzan import index_gtzan
from genrelib.errors import ConfigError
from genrelib.progress import tqdm

REPORT_COLUMNS: tuple[str, ...] = (
    "path",
    "track_id",
    "genre",
    "ok",
    "reason",
    "duration",
    "sample_rate",
    "channels",
)
"""Columns of the table returned by :func:`verify_dataset`, in order."""

KNOWN_FAULTS: dict[str, str] = {
    "jazz.00054": "a known fault of the Kaggle copy of GTZAN: leave this clip out",
}
"""Track ids known to be broken in some GTZAN copies, with a note added to their reason."""

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"RIFF", "WAV"),
    (b"RF64", "WAV"),
    (b"FORM", "AIFF"),
    (b".snd", "AU"),
    (b"fLaC", "FLAC"),
    (b"OggS", "Ogg"),
    (b"ID3", "MP3"),
    (b"\xff\xfb", "MP3"),
    (b"\xff\xf3", "MP3"),
    (b"\xff\xf2", "MP3"),
)
_UNKNOWN_SIZE = (0, 0xFFFFFFFF)  # streaming writers leave these in the size field


def _sniff(head: bytes) -> str | None:
    """Audio format named by the file's first bytes, or None."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char in "\t\r\n" for char in text)


def _wav_data_bytes(handle) -> int | None:
    """Bytes promised by a RIFF/WAVE ``data`` chunk, -1 if the header ends before it.

    None when the size is unknown (streaming writers) or the file is not RIFF/WAVE.
    """
    handle.seek(0)
    if handle.read(4) != b"RIFF":
        return None
    handle.seek(12)
    while True:
        header = handle.read(8)
        if len(header) < 8:
            return -1
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        if chunk_id == b"data":
            return None if size in _UNKNOWN_SIZE else size
        handle.seek(size + (size & 1), os.SEEK_CUR)


def _au_data_bytes(handle) -> int | None:
    """Bytes promised by a Sun/NeXT ``.au`` header, or None when unknown."""
    handle.seek(0)
    header = handle.read(12)
    if len(header) < 12 or header[:4] != b".snd":
        return None
    size = struct.unpack(">I", header[8:12])[0]
    return None if size in _UNKNOWN_SIZE else size


def _truncation(path: Path, file_size: int) -> str:
    """Reason if the header promises more audio bytes than the file holds, else ``""``."""
    with open(path, "rb") as handle:
        promised = _wav_data_bytes(handle)
        if promised == -1:
            return "truncated: the WAV header ends before its data chunk"
        if promised is not None:
            available = file_size - handle.tell()
        else:
            promised = _au_data_bytes(handle)
            if promised is None:
                return ""
            offset = struct.unpack(">I", _read_at(handle, 4, 4))[0]
            available = file_size - offset
    if available < promised:
        return f"truncated: header promises {promised} audio bytes, file holds {available}"
    return ""


def _read_at(handle, offset: int, size: int) -> bytes:
    handle.seek(offset)
    return handle.read(size)


def _fallback_decode(path: Path) -> tuple[np.ndarray, int]:
    """Decode formats libsndfile may lack (MP3) through librosa; shape (channels, n)."""
    import librosa  # slow import, needed only here

    y, sample_rate = librosa.load(str(path), sr=None, mono=False)
    return np.atleast_2d(y), int(sample_rate)


def _header_failure(path: Path, head: bytes, error: Exception) -> str:
    kind = _sniff(head)
    if kind is None:
        if _looks_like_text(head):
            return "not audio: the file holds text"
        return "not audio: unrecognised format (no known audio header)"
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"corrupt or truncated {kind} header ({detail})"


def _check(path: Path, min_seconds: float) -> dict:
    """Verify one file; never raises."""
    result = {"ok": False, "reason": "", "duration": np.nan, "sample_rate": 0, "channels": 0}
    try:
        size = path.stat().st_size
    except OSError as error:
        result["reason"] = f"unreadable: {error.strerror or error}"
        return result
    if size == 0:
        result["reason"] = "empty: 0 bytes"
        return result
    with open(path, "rb") as handle:
        head = handle.read(512)
    try:
        info = sf.info(str(path))
        frames, sample_rate, channels = info.frames, info.samplerate, info.channels
        if frames == 0:
            result.update(
                sample_rate=sample_rate, channels=channels, reason="empty: 0 audio frames"
            )
            return result
        reason = _truncation(path, size)
        if reason:
            result.update(sample_rate=sample_rate, channels=channels, reason=reason)
            return result
        data, sample_rate = sf.read(str(path), dtype="float32", always_2d=True)
        data = data.T
        if data.shape[1] < frames:
            result["reason"] = f"truncated: header says {frames} frames, decoded {data.shape[1]}"
            return result
    except Exception as error:  # soundfile raises several types; report, never crash
        if _sniff(head) != "MP3" and path.suffix.lower() != ".mp3":
            result["reason"] = _header_failure(path, head, error)
            return result
        try:
            data, sample_rate = _fallback_decode(path)
        except Exception as fallback_error:
            result["reason"] = f"corrupt MP3: {str(fallback_error).splitlines()[0]}"
            return result
    duration = data.shape[1] / sample_rate
    result.update(duration=duration, sample_rate=int(sample_rate), channels=int(data.shape[0]))
    if data.shape[1] == 0:
        result["reason"] = "empty: 0 audio frames"
    elif not np.all(np.isfinite(data)):
        result["reason"] = "corrupt: decoded samples are not finite"
    elif duration < min_seconds:
        result["reason"] = f"too short: {duration:.2f} s < {min_seconds:.2f} s"
    else:
        result["ok"] = True
    return result


def _as_table(data_dir_or_table: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    if isinstance(data_dir_or_table, pd.DataFrame):
        if "path" not in data_dir_or_table.columns:
            raise ConfigError("verify_dataset needs a table with a 'path' column")
        table = data_dir_or_table
    else:
        table = index_gtzan(data_dir_or_table, with_duration=False)
    paths = table["path"].astype(str)
    track_ids = table["track_id"] if "track_id" in table else paths.map(lambda p: Path(p).stem)
    genres = table["genre"] if "genre" in table else pd.Series("", index=table.index)
    return pd.DataFrame({"path": paths, "track_id": track_ids, "genre": genres})


def verify_dataset(
    data_dir_or_table: str | os.PathLike | pd.DataFrame,
    progress: bool = True,
    min_seconds: float = 1.0,
) -> pd.DataFrame:
    """Decode every clip and report, per file, whether it is usable and why not.

    Notebook: 01_dataset.

    Parameters
    ----------
    data_dir_or_table : path-like or pandas.DataFrame
        A GTZAN folder (indexed with :func:`~genrelib.data.gtzan.index_gtzan`) or a
        table with a ``path`` column (``track_id`` and ``genre`` are used if present).
    progress : bool
        Show a progress bar.
    min_seconds : float
        Clips shorter than this (seconds) are reported as too short.

    Returns
    -------
    pandas.DataFrame
        Shape (n_files, 8), columns ``path``, ``track_id``, ``genre``, ``ok`` (bool),
        ``reason`` (``""`` when ok), ``duration`` (s, NaN when not decoded),
        ``sample_rate`` (Hz, 0 when unknown), ``channels`` (0 when unknown).
    """
    if not min_seconds >= 0:
        raise ConfigError(f"min_seconds must be >= 0, got {min_seconds!r}")
    table = _as_table(data_dir_or_table)
    checks = [
        _check(Path(path), min_seconds)
        for path in tqdm(table["path"], desc="verifying audio", disable=not progress)
    ]
    report = pd.concat(
        [table.reset_index(drop=True), pd.DataFrame(checks, index=range(len(table)))], axis=1
    )
    known = ~report["ok"] & report["track_id"].isin(KNOWN_FAULTS)
    report.loc[known, "reason"] += "; " + report.loc[known, "track_id"].map(KNOWN_FAULTS)
    report["ok"] = report["ok"].astype(bool)
    report[["sample_rate", "channels"]] = report[["sample_rate", "channels"]].astype(np.int64)
    return report[list(REPORT_COLUMNS)]


def good_tracks(index: pd.DataFrame, report: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``index`` whose file passed :func:`verify_dataset`.

    Notebook: 01_dataset (and every chapter that reads real audio).

    Parameters
    ----------
    index : pandas.DataFrame
        A table with a ``path`` column, e.g. from :func:`~genrelib.data.gtzan.index_gtzan`.
    report : pandas.DataFrame
        The report of :func:`verify_dataset` on (at least) the same files.

    Returns
    -------
    pandas.DataFrame
        The rows of ``index`` whose path is ``ok`` in ``report`` (index reset).
    """
    good = set(report.loc[report["ok"], "path"].astype(str))
    return index[index["path"].astype(str).isin(good)].reset_index(drop=True)


def summarize_report(report: pd.DataFrame) -> str:
    """One line such as ``"98 good, 2 bad"``.

    Notebook: 01_dataset.
    """
    n_good = int(report["ok"].sum())
    return f"{n_good} good, {len(report) - n_good} bad"
