"""Decode songs in a background thread, one song ahead of the model that predicts them.

Decoding (libsndfile) and resampling (soxr) release Python's lock, so a song decodes on one
core while torch is being imported, or while the model runs on the previous song. Only the
next song is decoded ahead: memory grows with the longest song, not with the number of
songs.

Notebook: 08_external_songs (``genrelib predict`` on a list or a folder of songs).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from genrelib.audio.io import decode_audio


class SongReader:
    """Songs decoded by :func:`~genrelib.audio.io.decode_audio`, the next one in a thread.

    Decoding of the first song starts when the reader is made; reading song ``i`` starts
    decoding song ``i + 1``. A song that cannot be decoded raises its
    :class:`~genrelib.errors.AudioDecodeError` when it is read, not before.

    Notebook: 08_external_songs.

    Parameters
    ----------
    paths : sequence of str or Path
        The songs, in the order they will be read.

    Examples
    --------
    >>> with SongReader(["a.ogg", "b.mp3"]) as reader:  # doctest: +SKIP
    ...     for index in range(2):
    ...         mono, rate = reader.read(index)
    """

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.paths = [Path(path) for path in paths]
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="genrelib-decode")
        self._pending: dict[int, Future] = {}
        self._start(0)

    def _start(self, index: int) -> None:
        if index < len(self.paths) and index not in self._pending:
            self._pending[index] = self._pool.submit(decode_audio, self.paths[index])

    def read(self, index: int) -> tuple[np.ndarray, int]:
        """Song ``index`` as ``(mono float32 samples, sample rate)``; decodes the next one.

        Raises
        ------
        AudioDecodeError
            If song ``index`` is missing, corrupt or not audio.
        """
        self._start(index)
        future = self._pending.pop(index)
        self._start(index + 1)
        return future.result()

    def close(self) -> None:
        """Stop: a decoding not yet started is cancelled, a running one is left to finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pending.clear()

    def __enter__(self) -> SongReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
