"""A local HTTP server that serves the published book's inputs, built from the shared data.

It stands in for GitHub, the Kaggle-table copy and librosa's data server, so the download
is tested without the internet: the ``gtzan_mini`` archive in GitHub's layout
(``gtzan_mini-main/genres/<genre>/<clip>.wav``), the 30-s feature table and the 8 songs
with their licence notes. It honours ``Range`` requests, counts what it sends, and can drop
a connection halfway through a file, serve altered bytes or answer 404.
"""

from __future__ import annotations

import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from genrelib.data.download import MINI_ARCHIVE


def mini_archive(gtzan_mini: Path) -> bytes:
    """The 100 clips zipped as GitHub zips the ``gtzan_mini`` repository."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr("gtzan_mini-main/README.md", "gtzan_mini\n")
        for clip in sorted((gtzan_mini / "genres").glob("*/*.wav")):
            bundle.write(clip, f"gtzan_mini-main/genres/{clip.parent.name}/{clip.name}")
    return buffer.getvalue()


def book_files(shared_data: Path) -> dict[str, bytes]:
    """File name -> bytes of everything ``download_book`` fetches."""
    files = {MINI_ARCHIVE.filename: mini_archive(shared_data / "gtzan_mini")}
    files["features_30_sec.csv"] = (shared_data / "features" / "features_30_sec.csv").read_bytes()
    for song in sorted((shared_data / "external_songs").iterdir()):
        if song.name.endswith((".hq.ogg", ".txt")) and not song.name.startswith("LICENSE"):
            files[song.name] = song.read_bytes()
    return files


class BookHandler(http.server.BaseHTTPRequestHandler):
    """Serves :attr:`files` by name; :attr:`drop_once` names files cut halfway once."""

    files: dict[str, bytes] = {}
    drop_once: set[str] = set()
    sent: dict[str, int] = {}
    ranges: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        name = self.path.lstrip("/")
        payload = type(self).files.get(name)
        if payload is None:
            self.send_error(404)
            return
        start = 0
        header = self.headers.get("Range")
        if header and header.startswith("bytes="):
            start = int(header[len("bytes=") :].split("-")[0])
            type(self).ranges.append(name)
        body = payload[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(payload) - 1}/{len(payload)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in type(self).drop_once:
            type(self).drop_once.discard(name)
            body = body[: len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)
        type(self).sent[name] = type(self).sent.get(name, 0) + len(body)

    def log_message(self, *args) -> None:
        """Keep the test output free of one line per request."""


@contextmanager
def serve(files: dict[str, bytes]) -> Iterator[tuple[str, type[BookHandler]]]:
    """Serve ``files`` on 127.0.0.1; yields (base URL, handler class with its counters)."""
    handler = type(
        "Handler",
        (BookHandler,),
        {"files": dict(files), "drop_once": set(), "sent": {}, "ranges": []},
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
