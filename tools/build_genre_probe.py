"""Train the genre probe that ``genrelib predict`` ships, and print its sha256 and CV accuracy.

A logistic regression on MSD_musicnn ``[mean_pool, max_pool]`` embeddings of every 2.99-s
patch of the GTZAN clips in ``data_dir`` (here the 100 real clips of gtzan_mini, indices
00000-00009 of each genre), cross-validated by track (5 folds)::

    python tools/build_genre_probe.py $GENRELIB_SHARED_DATA/gtzan_mini \
        genrelib/models/weights/musicnn_genre_probe.npz

then paste the printed sha256 into ``genrelib.transfer.genre_probe.GENRE_PROBE_SHA256``.
Deterministic: the same clips and versions give the same bytes. musicnn embeddings computed
on another machine can differ in their last bits, and the refitted weights with them; to add
or refresh only the novelty rule of a shipped probe (:mod:`genrelib.transfer.novelty`) and
keep its weights, pass ``--novelty-only``.

Notebook: 06b_music_transfer (the shipped probe), 08_external_songs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from genrelib.data import index_gtzan
from genrelib.transfer import musicnn_embeddings, save_genre_probe, train_genre_probe
from genrelib.transfer.genre_probe import with_novelty


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument(
        "--novelty-only",
        action="store_true",
        help="keep the probe in TARGET, recompute only its novelty rule",
    )
    args = parser.parse_args(argv)
    tracks = index_gtzan(args.data_dir, with_duration=False)
    embeddings = musicnn_embeddings(tracks, "MSD_musicnn")
    if args.novelty_only:
        with np.load(args.target) as archive:
            arrays = {name: archive[name] for name in archive.files if name != "info_json"}
            info = json.loads(bytes(archive["info_json"]).decode())
        arrays = with_novelty(arrays, embeddings)
    else:
        arrays, info = train_genre_probe(embeddings)
    digest = save_genre_probe(arrays, info, args.target)
    shown = {k: v for k, v in info.items() if k != "track_ids"}
    print(json.dumps(shown, indent=1))
    print(f"{args.target}: sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
