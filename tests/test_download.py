"""The book's data on any machine: ``genrelib data download`` against a local server.

The server (tests/book_server.py) serves files built from the shared data in the layout of
their real sources, so each case is a real download: complete, resumed, refused with one line.
"""

from __future__ import annotations

import io
import shutil
import socket
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from book_server import book_files, serve

import genrelib.data.download as download
from genrelib.cli import main
from genrelib.config import get_profile
from genrelib.data import (
    DATA_ENV,
    book_data,
    download_book,
    download_mini,
    index_gtzan,
    resolve_data_dir,
    resolve_profile_name,
)
from genrelib.data.fetch import fetch_file
from genrelib.errors import DatasetNotFoundError, DownloadError, UnsafeArchiveError

SONG = "Kevin_MacLeod_-_Vibe_Ace.hq.ogg"


def _closed_port() -> int:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def no_public_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the local server answers: the public copies point nowhere."""
    monkeypatch.setattr(download, "MINI_ARCHIVE", replace(download.MINI_ARCHIVE, urls=()))
    monkeypatch.setattr(download, "FEATURE_TABLE", replace(download.FEATURE_TABLE, urls=()))
    monkeypatch.setattr(download, "LIBROSA_DATA_URL", f"http://127.0.0.1:{_closed_port()}/")


@pytest.fixture(scope="module")
def files(shared_data: Path) -> dict[str, bytes]:
    return book_files(shared_data)


def test_book_download_fills_the_data_home_once(files, tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    with serve(files) as (url, handler):
        records = download_book(home, mirrors=[url], progress=False)
        assert {record["file"] for record in records} == set(files)
        assert sum(handler.sent.values()) == sum(map(len, files.values()))
        assert download_book(home, mirrors=[url], progress=False) == []  # all checked: no fetch
        assert sum(handler.sent.values()) == sum(map(len, files.values()))
    found = book_data(home)
    assert found.complete
    assert len(index_gtzan(found.clips, with_duration=False)) == 100
    assert len(list(found.songs_dir.glob("*.hq.ogg"))) == 8
    assert found.features_csv.read_bytes() == files["features_30_sec.csv"]
    table = {record["file"]: record for record in records}
    assert table["features_30_sec.csv"]["hash"] == "md5:33e05662f090110c8724cb9feb6e8923"
    assert table[SONG]["hash"].startswith("sha256:73d6443e")  # librosa's registry entry
    assert not list(home.rglob("*.part")) and not list(home.glob(".extract-*"))
    assert not list((home / ".downloads").iterdir())  # the archive is gone once extracted
    # every command now finds the clips on its own
    monkeypatch.setenv(DATA_ENV, str(home))
    monkeypatch.delenv("GTZAN_DIR", raising=False)
    assert resolve_profile_name("auto") == "cpu"
    assert resolve_data_dir(get_profile("cpu")) == found.clips


def test_without_a_download_auto_is_smoke_and_cpu_says_what_to_run(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "empty"))
    monkeypatch.delenv("GTZAN_DIR", raising=False)
    assert resolve_profile_name("auto") == "smoke"
    with pytest.raises(DatasetNotFoundError, match="genrelib data download --book") as info:
        resolve_data_dir(get_profile("cpu"))
    assert "\n" not in str(info.value)
    with pytest.raises(DatasetNotFoundError, match="--subset full"):
        resolve_data_dir(get_profile("full"))


def test_a_connection_dropped_mid_file_resumes(files, tmp_path: Path) -> None:
    with serve(files) as (url, handler):
        handler.drop_once = {download.MINI_ARCHIVE.filename, SONG}
        download_book(tmp_path, mirrors=[url], progress=False)
        assert {download.MINI_ARCHIVE.filename, SONG} <= set(handler.ranges)
        archive = len(files[download.MINI_ARCHIVE.filename])
        assert handler.sent[download.MINI_ARCHIVE.filename] == archive  # half, then the rest
    assert (tmp_path / "external_songs" / SONG).read_bytes() == files[SONG]
    assert book_data(tmp_path).complete


def test_an_interrupted_download_resumes_from_its_part(files, tmp_path: Path) -> None:
    table = files["features_30_sec.csv"]
    part = tmp_path / "features" / "features_30_sec.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(table[:1000])
    assert book_data(tmp_path).features_csv is None  # a part is never read as data
    with serve(files) as (url, handler):
        download_book(tmp_path, mirrors=[url], progress=False)
        assert handler.sent["features_30_sec.csv"] == len(table) - 1000
    assert book_data(tmp_path).features_csv.read_bytes() == table


def test_an_altered_table_is_refused_in_one_line(files, tmp_path: Path) -> None:
    altered = {
        **files,
        "features_30_sec.csv": files["features_30_sec.csv"].replace(b"blues", b"bluez", 1),
    }
    with serve(altered) as (url, _), pytest.raises(DownloadError) as info:
        download_book(tmp_path, mirrors=[url], progress=False)
    message = str(info.value)
    assert "\n" not in message and "features_30_sec.csv" in message and "md5 differs" in message
    assert "not the file the book uses" in message and "connection" not in message
    assert not (tmp_path / "features").exists() or not list((tmp_path / "features").iterdir())
    assert book_data(tmp_path).features_csv is None
    assert book_data(tmp_path).clips is not None  # the clips before it were fine and stay


def _rezip(archive: bytes, change: dict[str, bytes]) -> bytes:
    source, buffer = zipfile.ZipFile(io.BytesIO(archive)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as target:
        for name in source.namelist():
            target.writestr(name, change.get(name, source.read(name)))
    return buffer.getvalue()


def test_an_altered_clip_is_named_and_nothing_is_kept(files, tmp_path: Path) -> None:
    name = download.MINI_ARCHIVE.filename
    clip = "gtzan_mini-main/genres/jazz/jazz.00004.wav"
    archive = zipfile.ZipFile(io.BytesIO(files[name]))
    altered = bytearray(archive.read(clip))
    altered[5000] ^= 0xFF
    served = {name: _rezip(files[name], {clip: bytes(altered)})}
    match = r"clip jazz/jazz\.00004\.wav has md5"
    with serve(served) as (url, _), pytest.raises(DownloadError, match=match) as info:
        download_mini(tmp_path, mirrors=[url], progress=False)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "gtzan_mini").exists() and not list(tmp_path.glob(".extract-*"))
    assert not (tmp_path / ".downloads" / name).exists()  # the bad archive is not reused


def test_a_truncated_archive_is_removed_with_one_line(files, tmp_path: Path) -> None:
    name = download.MINI_ARCHIVE.filename
    served = {name: files[name][: len(files[name]) // 3]}
    match = "not a readable archive.*removed"
    with serve(served) as (url, _), pytest.raises(DownloadError, match=match) as info:
        download_mini(tmp_path, mirrors=[url], progress=False)
    assert "\n" not in str(info.value)
    assert book_data(tmp_path).clips is None and not (tmp_path / ".downloads" / name).exists()


def test_an_unsafe_member_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("../evil.txt", "x")
    served = {download.MINI_ARCHIVE.filename: buffer.getvalue()}
    with serve(served) as (url, _), pytest.raises(UnsafeArchiveError, match="evil.txt"):
        download_mini(tmp_path / "home", mirrors=[url], progress=False)
    assert not (tmp_path / "evil.txt").exists()


def test_a_404_and_no_server_are_one_line_each(tmp_path: Path) -> None:
    with serve({}) as (url, _), pytest.raises(DownloadError, match="404") as info:
        fetch_file([url + "x.csv"], tmp_path / "x.csv", "md5:" + "0" * 32, progress=False)
    assert "\n" not in str(info.value) and "could not download x.csv" in str(info.value)
    dead = f"http://127.0.0.1:{_closed_port()}/"
    with pytest.raises(DownloadError, match="could not download.*run the command again") as info:
        download_book(tmp_path, mirrors=[dead], timeout=2, progress=False)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "x.csv").exists() and book_data(tmp_path).clips is None


def test_cli_download_reports_each_file_then_nothing(files, tmp_path: Path, capsys) -> None:
    home = str(tmp_path / "home")
    with serve(files) as (url, _):
        assert main(["data", "download", "--book", "--dest", home, "--mirrors", url]) == 0
        out = capsys.readouterr().out
        assert "features_30_sec.csv: 1.1 MB, md5:33e05662f090110c8724cb9feb6e8923" in out
        assert f"{SONG}: 1.5 MB, sha256:73d6443e" in out
        assert "downloaded and checked" in out and f"set {DATA_ENV}=" in out
        assert main(["data", "download", "--book", "--dest", home, "--mirrors", url]) == 0
        assert "already downloaded and checked" in capsys.readouterr().out
    dead = f"http://127.0.0.1:{_closed_port()}/"
    args = [
        "data",
        "download",
        "--subset",
        "mini",
        "--dest",
        str(tmp_path / "d"),
        "--mirrors",
        dead,
    ]
    assert main([*args, "--timeout", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("genrelib: error: could not download") and err.count("\n") == 1


def _local_copies(shared_data: Path, folder: Path, files: dict[str, bytes]) -> None:
    """A folder of copies as a user keeps them: the clips extracted, the rest by name."""
    shutil.copytree(shared_data / "gtzan_mini" / "genres", folder / "genres")
    for name, payload in files.items():
        if name != download.MINI_ARCHIVE.filename:
            (folder / name).write_bytes(payload)


def test_a_local_folder_with_extracted_clips_is_a_mirror(
    files, shared_data: Path, tmp_path: Path, capsys
) -> None:
    copies = tmp_path / "my copies"
    _local_copies(shared_data, copies, files)
    home = tmp_path / "home"
    assert main(["data", "download", "--book", "--dest", str(home), "--mirrors", str(copies)]) == 0
    assert book_data(home).complete
    out = capsys.readouterr().out
    clips = next(line for line in out.splitlines() if line.startswith("gtzan_mini/genres"))
    assert clips.endswith(
        f"md5 of every clip as recorded, from the mirror {copies.resolve() / 'genres'} "
        f"(a copy of {download.MINI_ARCHIVE.source})"
    )
    table = copies.resolve() / "features_30_sec.csv"
    assert f"from the mirror {table.as_uri()} (a copy of Kaggle" in out
    assert (home / "features" / "features_30_sec.csv").read_bytes() == files["features_30_sec.csv"]


def test_another_data_home_is_a_mirror(files, tmp_path: Path) -> None:
    first = tmp_path / "first"
    with serve(files) as (url, _):
        download_book(first, mirrors=[url], progress=False)
    records = download_book(tmp_path / "second", mirrors=[str(first)], progress=False)
    assert book_data(tmp_path / "second").complete
    assert {record["from"] for record in records} == {"a mirror"}


def test_hand_copies_in_the_data_home_are_checked_in_place(
    files, shared_data: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(shared_data / "gtzan_mini" / "genres", home / "gtzan_mini" / "genres")
    (home / "features").mkdir()
    (home / "features" / "features_30_sec.csv").write_bytes(files["features_30_sec.csv"])
    songs = home / "external_songs"
    songs.mkdir()
    for name, payload in files.items():
        if name.endswith((".ogg", ".txt")):
            (songs / name).write_bytes(payload)
    assert book_data(home).clips is None  # unchecked copies are not data yet
    records = download_book(home, progress=False)  # no mirror, no server: nothing to fetch
    assert book_data(home).complete
    assert {record["from"] for record in records} == {"a copy in place"}


def test_an_altered_hand_copy_is_named_and_kept(shared_data: Path, tmp_path: Path) -> None:
    genres = tmp_path / "gtzan_mini" / "genres"
    shutil.copytree(shared_data / "gtzan_mini" / "genres", genres)
    clip = genres / "rock" / "rock.00003.wav"
    clip.write_bytes(clip.read_bytes()[:-10])
    with pytest.raises(DownloadError, match=r"clip rock/rock\.00003\.wav has md5") as info:
        download_mini(tmp_path, progress=False)
    assert "\n" not in str(info.value) and "replace that clip" in str(info.value)
    assert clip.exists() and book_data(tmp_path).clips is None


def test_a_mirror_that_is_no_folder_is_one_line(tmp_path: Path, capsys) -> None:
    missing = str(tmp_path / "nowhere")
    assert main(["data", "download", "--book", "--dest", str(tmp_path), "--mirrors", missing]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--mirrors {missing}: no such folder" in err
