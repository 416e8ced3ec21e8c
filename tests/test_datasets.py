"""Tests for skrec.datasets: MovieLens fetching/parsing and the synthetic generators."""

import hashlib
import http.server
import io
import json
import os
import threading
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skrec import ITEM, TIME, USER
from skrec.datasets import (
    _movielens,
    fetch_movielens,
    get_data_home,
    make_checkerboard,
    make_interactions,
)

MANIFEST = _movielens._MANIFEST

# --------------------------------------------------------------------------
# Tiny archives in the real MovieLens layouts
# --------------------------------------------------------------------------

GENRES_100K = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
               "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
               "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"]  # fmt: skip


def _flags(*names):
    return "|".join("1" if g in names else "0" for g in GENRES_100K)


ML100K_FILES = {
    "u.data": (
        b"1\t10\t5\t881250949\n"
        b"1\t20\t3\t881250950\n"
        b"2\t10\t4\t891717742\n"
        b"3\t30\t1\t878887116\n"
        b"3\t20\t2\t878887117\n"
    ),
    "u.item": (
        f"10|Toy Story (1995)|01-Jan-1995||http://imdb/1|{_flags('Animation', 'Comedy')}\n"
        f"20|Café Society (1997)|01-Jan-1997||http://imdb/2|{_flags('Drama')}\n"
        f"30|unknown||||{_flags('unknown')}\n"
        f"40|Never Rated|13-Mar-1998||http://imdb/4|{_flags('War', 'Western')}\n"
    ).encode("iso-8859-1"),
    "u.user": b"1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|T8H1N\n",
    "u.genre": "".join(f"{g}|{i}\n" for i, g in enumerate(GENRES_100K)).encode() + b"\n",
    "README": b"SUMMARY & USAGE LICENSE: a tiny fake ml-100k\n",
}

LATEST_FILES = {
    "ratings.csv": (
        b"userId,movieId,rating,timestamp\n"
        b"1,1,4.0,964982703\n"
        b"1,3,0.5,964981247\n"
        b"5,3,5.0,964982224\n"
        b"5,2,3.5,964983815\n"
    ),
    "movies.csv": (
        "movieId,title,genres\n"
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
        '2,"American President, The (1995)",Comedy|Drama|Romance\n'
        "3,Amélie (Fabuleux destin d'Amélie Poulain) (2001),Comedy|Romance\n"
        "4,The OA,(no genres listed)\n"
        "5,Fawlty Towers (1975-1979),Comedy\n"
    ).encode(),
    "README.txt": b"Summary: a tiny fake ml-latest-small\n",
}

ML1M_FILES = {
    "ratings.dat": b"1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n",
    "movies.dat": (
        "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
        "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
        "2000::Star Wars: Episode IV - A New Hope (1977)::Action|Sci-Fi\n"
        "3000::Métisse (Café au Lait) (1993)::Comedy\n"
    ).encode("iso-8859-1"),
    "users.dat": b"1::F::1::10::48067\n2::M::56::16::70072\n",
    "README": b"a tiny fake ml-1m\n",
}


def _zip(folder, files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{folder}/", b"")
        for name, content in files.items():
            zf.writestr(f"{folder}/{name}", content)
    return buf.getvalue()


def _write_folder(path, files):
    path.mkdir(parents=True)
    for name, content in files.items():
        (path / name).write_bytes(content)
    return path


class _Server:
    """A local HTTP server for archives; counts requests; can cut bodies short."""

    def __init__(self):
        self.files = {}
        self.requests = []
        self.truncate = set()
        self.no_length = set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                if self.path not in server.no_length:  # else the body ends at close
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def serve(self, path, body):
        self.files[path] = body
        return self.url + path

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def registry(server, monkeypatch):
    """Point the 100k and latest-small entries at the local server."""

    def point(variant, folder, files, *, checksum=None, truncate=False, size=None,
              no_length=False):
        body = _zip(folder, files)
        path = f"/{folder}.zip"
        url = server.serve(path, body)
        if truncate:
            server.truncate.add(path)
        if no_length:
            server.no_length.add(path)
        sha = checksum or hashlib.sha256(body).hexdigest()
        size = len(body) if size is None else size  # the known size, as in the registry
        entry = _movielens.RemoteFileMetadata(f"{folder}.zip", url, sha, folder, size)
        monkeypatch.setitem(_movielens._MOVIELENS, variant, entry)
        return entry

    point("100k", "ml-100k", ML100K_FILES)
    point("latest-small", "ml-latest-small", LATEST_FILES)
    return point


# --------------------------------------------------------------------------
# Registry and data home
# --------------------------------------------------------------------------


def test_registry_holds_official_urls_and_sha256():
    for variant, folder in [("100k", "ml-100k"), ("1m", "ml-1m"), ("20m", "ml-20m"),
                            ("latest-small", "ml-latest-small")]:  # fmt: skip
        entry = _movielens._MOVIELENS[variant]
        assert entry.url == f"https://files.grouplens.org/datasets/movielens/{folder}.zip"
        assert entry.folder == folder
        assert len(entry.checksum) == 64
        int(entry.checksum, 16)


def test_get_data_home_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("SKREC_DATA", str(tmp_path / "env"))
    assert get_data_home(tmp_path / "arg") == str(tmp_path / "arg")
    assert (tmp_path / "arg").is_dir()
    assert get_data_home() == str(tmp_path / "env")
    assert (tmp_path / "env").is_dir()
    monkeypatch.delenv("SKREC_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home() == str(tmp_path / "home" / "skrec_data")


def test_unknown_variant():
    with pytest.raises(ValueError, match="variant must be one of"):
        fetch_movielens("10k")


# --------------------------------------------------------------------------
# Download, parse, cache
# --------------------------------------------------------------------------


def test_download_parse_and_cache_hit_100k(tmp_path, server, registry):
    cache = tmp_path / "cache"
    data = fetch_movielens("100k", data_home=cache)
    assert server.requests == ["/ml-100k.zip"]
    # Only the extracted folder remains: no archive, no temporary file.
    assert sorted(os.listdir(cache)) == ["ml-100k"]
    assert sorted(os.listdir(cache / "ml-100k")) == sorted([*ML100K_FILES, MANIFEST])

    assert data.X.columns.tolist() == [USER, ITEM, TIME]
    assert data.X[USER].tolist() == [1, 1, 2, 3, 3]
    assert data.X[ITEM].tolist() == [10, 20, 10, 30, 20]
    assert data.X[TIME].tolist() == [881250949, 881250950, 891717742, 878887116, 878887117]
    assert data.y.dtype == np.float64
    np.testing.assert_array_equal(data.y, [5, 3, 4, 1, 2])

    uf = data.user_features
    assert uf.columns.tolist() == [USER, "age", "gender", "occupation", "zip"]
    assert uf[USER].tolist() == [1, 2, 3]
    assert uf["age"].tolist() == [24, 53, 23]
    assert uf["zip"].tolist() == ["85711", "94043", "T8H1N"]

    itf = data.item_features
    assert itf[ITEM].tolist() == [10, 20, 30, 40]
    assert itf["title"].tolist() == ["Toy Story (1995)", "Café Society (1997)", "unknown",
                                     "Never Rated"]  # fmt: skip
    assert itf["genres"].tolist() == [["Animation", "Comedy"], ["Drama"], ["unknown"],
                                      ["War", "Western"]]  # fmt: skip
    # The year comes from the title, else from the release date.
    assert itf["year"].tolist()[:2] == [1995, 1997]
    assert pd.isna(itf["year"].iloc[2])
    assert itf["year"].iloc[3] == 1998
    assert "tiny fake ml-100k" in data.DESCR

    # A second call reads the cache: no new request.
    again = fetch_movielens("100k", data_home=cache)
    assert server.requests == ["/ml-100k.zip"]
    pd.testing.assert_frame_equal(again.X, data.X)
    # download_if_missing=False is fine once cached.
    fetch_movielens("100k", data_home=cache, download_if_missing=False)
    assert len(server.requests) == 1


def test_download_latest_small(tmp_path, server, registry):
    data = fetch_movielens("latest-small", data_home=tmp_path)
    assert server.requests == ["/ml-latest-small.zip"]
    assert sorted(os.listdir(tmp_path)) == ["ml-latest-small"]
    assert data.X[USER].tolist() == [1, 1, 5, 5]
    assert data.X[ITEM].tolist() == [1, 3, 3, 2]
    np.testing.assert_array_equal(data.y, [4.0, 0.5, 5.0, 3.5])
    # No demographics in this release: one row per user who rated.
    assert data.user_features.columns.tolist() == [USER]
    assert data.user_features[USER].tolist() == [1, 5]
    itf = data.item_features
    assert itf["title"].tolist()[1:3] == [
        "American President, The (1995)",
        "Amélie (Fabuleux destin d'Amélie Poulain) (2001)",
    ]
    assert itf["genres"].tolist() == [
        ["Adventure", "Animation", "Children", "Comedy", "Fantasy"],
        ["Comedy", "Drama", "Romance"],
        ["Comedy", "Romance"],
        [],
        ["Comedy"],
    ]
    year = itf["year"]
    assert year.iloc[[0, 1, 2, 4]].tolist() == [1995, 1995, 2001, 1975]
    assert pd.isna(year.iloc[3])


def test_env_var_is_the_default_cache(tmp_path, server, registry, monkeypatch):
    monkeypatch.setenv("SKREC_DATA", str(tmp_path / "env-cache"))
    fetch_movielens("latest-small")
    assert (tmp_path / "env-cache" / "ml-latest-small" / "ratings.csv").is_file()
    fetch_movielens("latest-small", download_if_missing=False)
    assert len(server.requests) == 1


def test_checksum_mismatch_leaves_nothing(tmp_path, server, registry):
    registry("100k", "ml-100k", ML100K_FILES, checksum="0" * 64)
    with pytest.raises(OSError, match="expected sha256 0{64}, got [0-9a-f]{64}"):
        fetch_movielens("100k", data_home=tmp_path)
    assert os.listdir(tmp_path) == []
    # The next call tries again (nothing half-cached).
    with pytest.raises(OSError, match="expected sha256"):
        fetch_movielens("100k", data_home=tmp_path)
    assert len(server.requests) == 2


def test_interrupted_download_leaves_nothing(tmp_path, server, registry):
    registry("100k", "ml-100k", ML100K_FILES, truncate=True)
    with pytest.raises(OSError, match="ml-100k.zip"):
        fetch_movielens("100k", data_home=tmp_path)
    assert server.requests == ["/ml-100k.zip"]
    assert os.listdir(tmp_path) == []


def test_not_a_zip_leaves_nothing(tmp_path, server, registry, monkeypatch):
    body = b"<html>not a zip</html>"
    url = server.serve("/bad.zip", body)
    entry = _movielens.RemoteFileMetadata(
        "ml-100k.zip", url, hashlib.sha256(body).hexdigest(), "ml-100k"
    )
    monkeypatch.setitem(_movielens._MOVIELENS, "100k", entry)
    with pytest.raises(OSError, match="not a valid zip archive"):
        fetch_movielens("100k", data_home=tmp_path)
    assert os.listdir(tmp_path) == []


def test_http_error_leaves_nothing(tmp_path, server, registry, monkeypatch):
    entry = _movielens._MOVIELENS["100k"]
    monkeypatch.setitem(
        _movielens._MOVIELENS, "100k", entry._replace(url=server.url + "/missing.zip")
    )
    with pytest.raises(OSError, match="404"):
        fetch_movielens("100k", data_home=tmp_path)
    assert os.listdir(tmp_path) == []


def test_archive_without_the_expected_folder(tmp_path, server, registry, monkeypatch):
    entry = registry("100k", "not-ml-100k", ML100K_FILES)
    monkeypatch.setitem(_movielens._MOVIELENS, "100k", entry._replace(folder="ml-100k"))
    with pytest.raises(OSError, match="no top-level folder 'ml-100k'"):
        fetch_movielens("100k", data_home=tmp_path)
    assert os.listdir(tmp_path) == []


def test_download_if_missing_false(tmp_path, server, registry):
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_movielens("100k", data_home=tmp_path, download_if_missing=False)
    assert server.requests == []


# --------------------------------------------------------------------------
# Reading existing folders
# --------------------------------------------------------------------------


def test_data_home_is_the_movielens_folder(tmp_path, monkeypatch):
    # No network: any download attempt would fail loudly.
    monkeypatch.setattr(_movielens, "_download_and_extract", _no_download)
    folder = _write_folder(tmp_path / "some-name", ML100K_FILES)
    data = fetch_movielens("100k", data_home=folder)
    assert len(data.X) == 5
    assert data.folder == str(folder)
    # A parent folder holding ml-100k/ is read as a cache.
    _write_folder(tmp_path / "parent" / "ml-100k", ML100K_FILES)
    data = fetch_movielens("100k", data_home=tmp_path / "parent")
    assert data.folder == str(tmp_path / "parent" / "ml-100k")


def test_1m_layout(tmp_path, monkeypatch):
    monkeypatch.setattr(_movielens, "_download_and_extract", _no_download)
    folder = _write_folder(tmp_path / "ml-1m", ML1M_FILES)
    data = fetch_movielens("1m", data_home=folder)
    assert data.X.to_numpy().tolist() == [
        [1, 1193, 978300760],
        [1, 661, 978302109],
        [2, 1193, 978298413],
    ]
    np.testing.assert_array_equal(data.y, [5.0, 3.0, 4.0])
    uf = data.user_features
    assert uf.to_dict("list") == {
        USER: [1, 2], "age": [1, 56], "gender": ["F", "M"],
        "occupation": ["K-12 student", "self-employed"], "zip": ["48067", "70072"],
    }  # fmt: skip
    itf = data.item_features
    assert itf["title"].tolist() == [
        "James and the Giant Peach (1996)",
        "One Flew Over the Cuckoo's Nest (1975)",
        "Star Wars: Episode IV - A New Hope (1977)",
        "Métisse (Café au Lait) (1993)",
    ]
    assert itf["genres"].iloc[0] == ["Animation", "Children's", "Musical"]
    assert itf["year"].tolist() == [1996, 1975, 1977, 1993]


def test_missing_ratings_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(_movielens, "_download_and_extract", _no_download)
    files = {k: v for k, v in ML1M_FILES.items() if k != "ratings.dat"}
    folder = _write_folder(tmp_path / "ml-1m", files)
    with pytest.raises(FileNotFoundError, match=r"missing \['ratings.dat'\]"):
        fetch_movielens("1m", data_home=folder)


def test_folder_of_another_variant(tmp_path, monkeypatch):
    monkeypatch.setattr(_movielens, "_download_and_extract", _no_download)
    folder = _write_folder(tmp_path / "ml-latest-small", LATEST_FILES)
    with pytest.raises(ValueError, match="variant='latest-small'"):
        fetch_movielens("20m", data_home=folder)


def test_archive_missing_a_required_file_is_not_cached(tmp_path, server, registry):
    files = {k: v for k, v in ML100K_FILES.items() if k != "u.user"}
    registry("100k", "ml-100k", files)
    with pytest.raises(OSError, match=r"passed its checksum but lacks \['u.user'\]"):
        fetch_movielens("100k", data_home=tmp_path)
    assert os.listdir(tmp_path) == []
    # Nothing half-cached: the next call downloads again.
    with pytest.raises(OSError, match="lacks"):
        fetch_movielens("100k", data_home=tmp_path)
    assert len(server.requests) == 2


def test_registry_holds_known_sizes():
    sizes = {v: m.size for v, m in _movielens._MOVIELENS.items()}
    assert sizes == {"100k": 4_924_029, "1m": 5_917_549, "20m": 198_702_078,
                     "latest-small": 978_202}


@pytest.mark.parametrize("no_length", [False, True])
def test_download_larger_than_known_size_is_aborted(tmp_path, server, registry, no_length):
    registry("100k", "ml-100k", ML100K_FILES, size=100, no_length=no_length)
    what = "sent over" if no_length else "announces"
    with pytest.raises(OSError, match=rf"aborted: the server {what} \d+ bytes, more than 110 "
                                      r"\(1.1 x the known size of ml-100k.zip, 100 bytes\)"):
        fetch_movielens("100k", data_home=tmp_path)
    assert os.listdir(tmp_path) == []
    # A body within 1.1 x the known size is accepted (the checksum still decides).
    body_size = len(server.files["/ml-100k.zip"])
    registry("100k", "ml-100k", ML100K_FILES, size=int(body_size / 1.05), no_length=no_length)
    assert len(fetch_movielens("100k", data_home=tmp_path).X) == 5


def test_verify_accepts_a_good_cache(tmp_path, server, registry):
    fetch_movielens("100k", data_home=tmp_path)
    data = fetch_movielens("100k", data_home=tmp_path, verify=True)
    assert len(data.X) == 5
    assert len(server.requests) == 1
    manifest = json.loads((tmp_path / "ml-100k" / MANIFEST).read_text())
    assert manifest["sha256"] == _movielens._MOVIELENS["100k"].checksum
    assert manifest["files"]["u.data"] == hashlib.sha256(ML100K_FILES["u.data"]).hexdigest()


@pytest.mark.parametrize("damage", ["edit", "delete", "manifest", "registry"])
def test_verify_replaces_a_damaged_cache(tmp_path, server, registry, damage):
    fetch_movielens("100k", data_home=tmp_path)
    folder = tmp_path / "ml-100k"
    if damage == "edit":
        (folder / "u.data").write_bytes(b"1\t10\t1\t881250949\n")
        reason = "u.data has changed"
    elif damage == "delete":
        (folder / "u.genre").unlink()
        reason = "u.genre is missing"
    elif damage == "manifest":
        (folder / MANIFEST).unlink()
        reason = "no .skrec-manifest.json"
    else:  # the registry now pins another archive
        registry("100k", "ml-100k", {**ML100K_FILES, "README": b"a new release\n"})
        reason = "registry expects"
    # Without verify the damage goes unnoticed (a missing file is still reported).
    if damage == "delete":
        with pytest.raises(FileNotFoundError, match="u.genre"):
            fetch_movielens("100k", data_home=tmp_path)
    else:
        fetch_movielens("100k", data_home=tmp_path)
    assert len(server.requests) == 1
    # With download_if_missing=False, a clear error and the folder is left alone.
    with pytest.raises(OSError, match=rf"verify=True: .*failed verification: .*{reason}"):
        fetch_movielens("100k", data_home=tmp_path, verify=True, download_if_missing=False)
    assert folder.is_dir() and len(server.requests) == 1
    # Otherwise it is downloaded again, with a warning.
    with pytest.warns(UserWarning, match=rf"failed verification \(.*{reason}.*downloaded again"):
        data = fetch_movielens("100k", data_home=tmp_path, verify=True)
    assert len(server.requests) == 2
    np.testing.assert_array_equal(data.y, [5, 3, 4, 1, 2])
    assert sorted(os.listdir(tmp_path)) == ["ml-100k"]
    fetch_movielens("100k", data_home=tmp_path, verify=True)
    assert len(server.requests) == 2


def test_verify_never_deletes_a_folder_given_as_data_home(tmp_path, monkeypatch):
    monkeypatch.setattr(_movielens, "_download_and_extract", _no_download)
    folder = _write_folder(tmp_path / "my-copy", ML100K_FILES)
    with pytest.raises(OSError, match="passed as data_home and is left untouched"):
        fetch_movielens("100k", data_home=folder, verify=True)
    assert sorted(os.listdir(folder)) == sorted(ML100K_FILES)
    assert len(fetch_movielens("100k", data_home=folder).X) == 5


def _no_download(*args, **kwargs):
    raise AssertionError("fetch_movielens tried to download")


@pytest.mark.slow
def test_shared_ml100k(shared_data, monkeypatch):
    folder = shared_data / "ml-100k"
    if not (folder / "u.data").is_file():
        pytest.skip("ml-100k is not in shared data")
    monkeypatch.setattr(_movielens, "_download_and_extract", _no_download)
    data = fetch_movielens("100k", data_home=folder, download_if_missing=False)
    assert data.X.shape == (100_000, 3)
    assert data.X[USER].nunique() == 943
    assert data.X[ITEM].nunique() == 1682
    assert set(np.unique(data.y)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    # Counts per rating from the dataset's PROVENANCE.md.
    np.testing.assert_array_equal(
        np.bincount(data.y.astype(int))[1:], [6110, 11370, 27145, 34174, 21201]
    )
    assert not data.X.duplicated([USER, ITEM]).any()
    assert len(data.user_features) == 943
    assert set(data.user_features["gender"]) == {"M", "F"}
    itf = data.item_features
    assert len(itf) == 1682
    assert itf["genres"].iloc[0] == ["Animation", "Children's", "Comedy"]
    assert all(isinstance(g, list) and g for g in itf["genres"])
    assert itf["year"].notna().sum() == 1681
    # u.item is ISO-8859-1: accented titles decode.
    assert itf["title"].str.contains("é").any()


@pytest.mark.slow
def test_shared_latest_small(shared_data):
    folder = shared_data / "ml-latest-small"
    if not (folder / "ratings.csv").is_file():
        pytest.skip("ml-latest-small is not in shared data")
    data = fetch_movielens("latest-small", data_home=folder, download_if_missing=False)
    assert data.X.shape == (100_836, 3)
    assert data.X[USER].nunique() == 610
    assert data.X[ITEM].nunique() == 9724
    assert len(data.item_features) == 9742
    assert data.y.min() == 0.5 and data.y.max() == 5.0


@pytest.mark.slow
def test_shared_ml1m_has_no_ratings(shared_data):
    folder = shared_data / "ml-1m"
    if not (folder / "movies.dat").is_file() or (folder / "ratings.dat").is_file():
        pytest.skip("needs the ratings-less ml-1m copy of shared data")
    with pytest.raises(FileNotFoundError, match="ratings.dat"):
        fetch_movielens("1m", data_home=folder)


@pytest.mark.slow
def test_shared_ml1m_metadata_with_generated_ratings(shared_data, tmp_path):
    # shared/data/ml-1m lacks ratings.dat: pair its real movies.dat and
    # users.dat (ISO-8859-1, "::") with a small generated ratings file.
    source = shared_data / "ml-1m"
    if not (source / "movies.dat").is_file() or not (source / "users.dat").is_file():
        pytest.skip("ml-1m metadata is not in shared data")
    folder = tmp_path / "ml-1m"
    folder.mkdir()
    for name in ("movies.dat", "users.dat"):
        (folder / name).write_bytes((source / name).read_bytes())
    (folder / "ratings.dat").write_bytes(b"1::1193::5::978300760\n6040::3952::1::956703932\n")
    data = fetch_movielens("1m", data_home=folder, download_if_missing=False)
    assert data.X[ITEM].tolist() == [1193, 3952]
    uf, itf = data.user_features, data.item_features
    assert len(uf) == 6040
    assert (uf["gender"].value_counts().to_dict()) == {"M": 4331, "F": 1709}
    assert sorted(uf["age"].unique()) == [1, 18, 25, 35, 45, 50, 56]
    assert set(uf["occupation"]) <= set(_movielens._ML1M_OCCUPATIONS)
    assert len(itf) == 3883 and itf[ITEM].max() == 3952
    assert itf["year"].notna().all()
    assert all(isinstance(g, list) and g for g in itf["genres"])
    assert itf["genres"].iloc[0] == ["Animation", "Children's", "Comedy"]
    assert "Misérables, Les (1995)" in set(itf["title"])


# --------------------------------------------------------------------------
# make_interactions
# --------------------------------------------------------------------------


def _check_interactions(data, n_users, n_items, n_interactions, min_per_user):
    X = data.X
    assert len(X) == len(data.y) == n_interactions
    assert not X.duplicated([USER, ITEM]).any()
    counts = X.groupby(USER).size()
    assert len(counts) == n_users
    assert counts.min() >= min_per_user
    assert counts.max() <= n_items
    assert set(np.unique(data.y)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    # Timestamps strictly increase within each user (rows are in time order).
    assert X[TIME].is_monotonic_increasing
    assert (X.groupby(USER)[TIME].diff().dropna() > 0).all()
    # Each session belongs to a single user.
    assert (X.groupby("session")[USER].nunique() == 1).all()


def test_make_interactions_basic():
    data = make_interactions(n_users=40, n_items=25, n_interactions=300, min_per_user=3,
                             random_state=0)  # fmt: skip
    _check_interactions(data, 40, 25, 300, 3)
    assert data.X.columns.tolist() == [USER, ITEM, TIME, "session"]
    assert data.user_factors.shape == (40, 4)
    assert data.item_factors.shape == (25, 4)
    assert data.user_features[USER].tolist() == list(range(40))
    assert data.item_features[ITEM].tolist() == list(range(25))


def test_make_interactions_reproducible():
    a = make_interactions(n_users=20, n_items=15, random_state=3)
    b = make_interactions(n_users=20, n_items=15, random_state=3)
    c = make_interactions(n_users=20, n_items=15, random_state=4)
    pd.testing.assert_frame_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    pd.testing.assert_frame_equal(a.user_features, b.user_features)
    assert not a.X.equals(c.X)


def test_make_interactions_str_ids():
    data = make_interactions(n_users=10, n_items=8, id_type="str", random_state=0)
    assert all(isinstance(u, str) and u.startswith("u") for u in data.X[USER])
    assert all(isinstance(i, str) and i.startswith("i") for i in data.X[ITEM])
    ints = make_interactions(n_users=10, n_items=8, random_state=0)
    assert (data.X[USER] == "u" + ints.X[USER].astype(str)).all()
    assert (data.X[ITEM] == "i" + ints.X[ITEM].astype(str)).all()


def test_make_interactions_full_matrix():
    # n_interactions = n_users * n_items: every pair exactly once.
    data = make_interactions(n_users=6, n_items=5, n_interactions=30, random_state=0)
    _check_interactions(data, 6, 5, 30, 2)
    assert (data.X.groupby(USER).size() == 5).all()


def test_make_interactions_default_size_with_large_min_per_user():
    # The default n_interactions (10 per user) must not clash with min_per_user.
    data = make_interactions(n_users=5, n_items=30, min_per_user=12, random_state=0)
    _check_interactions(data, 5, 30, 60, 12)
    data = make_interactions(n_users=5, n_items=4, random_state=0)
    assert len(data.X) == 20


def test_make_interactions_planted_structure():
    data = make_interactions(n_users=200, n_items=100, n_interactions=3000,
                             popularity_exponent=0.0, random_state=0)  # fmt: skip
    P, Q = data.user_factors, data.item_factors
    aff = P @ Q.T
    chosen = np.zeros_like(aff, dtype=bool)
    chosen[data.X[USER].to_numpy(), data.X[ITEM].to_numpy()] = True
    partial = [u for u in range(len(P)) if 0 < chosen[u].sum() < chosen.shape[1]]
    assert len(partial) > 150
    gaps = [aff[u, chosen[u]].mean() - aff[u, ~chosen[u]].mean() for u in partial]
    # Every user prefers (on average) what they chose, by a clear margin.
    assert np.mean(gaps) > 0.3
    assert np.mean(np.array(gaps) > 0) > 0.9
    # Ratings follow the affinity.
    pair_aff = aff[data.X[USER].to_numpy(), data.X[ITEM].to_numpy()]
    assert np.corrcoef(pair_aff, data.y)[0, 1] > 0.7


def test_make_interactions_popularity_bias():
    data = make_interactions(n_users=300, n_items=50, n_interactions=3000, signal=0.0,
                             popularity_exponent=1.5, random_state=0)  # fmt: skip
    counts = np.bincount(data.X[ITEM].to_numpy(), minlength=50)
    # With no personal signal, item popularity follows the planted bias.
    rank_corr = pd.Series(counts).corr(pd.Series(data.item_bias), method="spearman")
    assert rank_corr > 0.8


def test_make_interactions_side_features_track_factors():
    data = make_interactions(n_users=300, n_items=200, n_user_features=3, n_item_features=0,
                             random_state=0)  # fmt: skip
    uf, itf = data.user_features, data.item_features
    assert uf.columns.tolist() == [USER, "uf0", "uf1", "uf2", "segment"]
    assert itf.columns.tolist() == [ITEM, "genre"]
    # segment is the index of the largest true factor.
    expected = [f"s{j}" for j in np.argmax(data.user_factors, axis=1)]
    assert uf["segment"].astype(str).tolist() == expected
    # The numeric features are linear maps of the factors plus N(0, 0.1^2) noise.
    coef, *_ = np.linalg.lstsq(data.user_factors, uf["uf0"].to_numpy(), rcond=None)
    resid = uf["uf0"].to_numpy() - data.user_factors @ coef
    assert 0.005 < resid.var() < 0.02


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_users": 0}, "n_users"),
        ({"n_items": -1}, "n_items"),
        ({"n_users": 2.5}, "n_users"),
        ({"n_factors": 0}, "n_factors"),
        ({"min_per_user": 0}, "min_per_user"),
        ({"n_items": 3, "min_per_user": 4}, "min_per_user"),
        ({"n_users": 5, "n_items": 4, "n_interactions": 21}, "n_interactions"),
        ({"n_users": 5, "n_interactions": 9}, "n_interactions"),
        ({"id_type": "float"}, "id_type"),
        ({"rating_noise": -1.0}, "rating_noise"),
        ({"session_length": 0.0}, "session_length"),
        ({"n_user_features": -1}, "n_user_features"),
        ({"n_item_features": 1.5}, "n_item_features"),
        ({"signal": float("nan")}, "signal"),
        ({"popularity_exponent": float("inf")}, "popularity_exponent"),
    ],
)
def test_make_interactions_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_interactions(**kwargs)


@settings(max_examples=25, deadline=None)
@given(
    n_users=st.integers(1, 12),
    n_items=st.integers(1, 12),
    min_per_user=st.integers(1, 4),
    extra=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**31 - 1),
    id_type=st.sampled_from(["int", "str"]),
)
def test_make_interactions_properties(n_users, n_items, min_per_user, extra, seed, id_type):
    min_per_user = min(min_per_user, n_items)
    low, high = n_users * min_per_user, n_users * n_items
    n_interactions = low + int(round(extra * (high - low)))
    data = make_interactions(n_users, n_items, n_interactions, min_per_user=min_per_user,
                             id_type=id_type, random_state=seed)  # fmt: skip
    _check_interactions(data, n_users, n_items, n_interactions, min_per_user)
    assert set(data.X[USER]) <= set(data.user_ids)
    assert set(data.X[ITEM]) <= set(data.item_ids)


# --------------------------------------------------------------------------
# make_checkerboard
# --------------------------------------------------------------------------


def _check_checkerboard(data, n_users, n_items, n_blocks, density):
    X = data.X
    u, i = X[USER].to_numpy(), X[ITEM].to_numpy()
    assert data.y is None
    assert not X.duplicated().any()
    # Every interaction is in-block.
    assert (data.user_block[u] == data.item_block[i]).all()
    assert data.relevant[u, i].all()
    np.testing.assert_array_equal(
        data.relevant, data.user_block[:, None] == data.item_block[None, :]
    )
    # Blocks are balanced contiguous ranges, all non-empty.
    assert sorted(set(data.user_block)) == list(range(n_blocks))
    assert sorted(set(data.item_block)) == list(range(n_blocks))
    # Each user has round(density * block size) items (at least one).
    block_size = np.bincount(data.item_block, minlength=n_blocks)[data.user_block]
    expected = np.maximum(1, np.round(density * block_size).astype(int))
    counts = np.bincount(u, minlength=n_users)
    np.testing.assert_array_equal(counts, expected)


def test_make_checkerboard_full_density():
    data = make_checkerboard(n_users=6, n_items=9, n_blocks=3, density=1.0, random_state=0)
    _check_checkerboard(data, 6, 9, 3, 1.0)
    assert data.user_block.tolist() == [0, 0, 1, 1, 2, 2]
    assert data.item_block.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert len(data.X) == 6 * 3


def test_make_checkerboard_density_and_reproducibility():
    a = make_checkerboard(n_users=30, n_items=40, n_blocks=4, density=0.3, random_state=1)
    b = make_checkerboard(n_users=30, n_items=40, n_blocks=4, density=0.3, random_state=1)
    _check_checkerboard(a, 30, 40, 4, 0.3)
    pd.testing.assert_frame_equal(a.X, b.X)
    assert len(a.X) == 30 * 3  # round(0.3 * 10) per user


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_users": 0}, "n_users"),
        ({"n_items": 1.5}, "n_items"),
        ({"n_blocks": 0}, "n_blocks"),
        ({"n_blocks": 5, "n_users": 4}, "n_blocks"),
        ({"density": 0.0}, "density"),
        ({"density": 1.5}, "density"),
        ({"density": float("nan")}, "density"),
        ({"density": "half"}, "density"),
    ],
)
def test_make_checkerboard_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_checkerboard(**kwargs)


@settings(max_examples=25, deadline=None)
@given(
    n_users=st.integers(1, 15),
    n_items=st.integers(1, 15),
    n_blocks=st.integers(1, 4),
    density=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_make_checkerboard_properties(n_users, n_items, n_blocks, density, seed):
    n_blocks = min(n_blocks, n_users, n_items)
    data = make_checkerboard(n_users, n_items, n_blocks=n_blocks, density=density,
                             random_state=seed)  # fmt: skip
    _check_checkerboard(data, n_users, n_items, n_blocks, density)
