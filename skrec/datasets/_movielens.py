"""MovieLens loaders: download once into a cache, verify, parse into a Bunch."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import tempfile
import urllib.request
import warnings
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.datasets import get_data_home as _sklearn_get_data_home
from sklearn.utils import Bunch

from .._constants import ITEM, TIME, USER

__all__ = ["RemoteFileMetadata", "fetch_movielens", "get_data_home"]


class RemoteFileMetadata(NamedTuple):
    """Where an archive lives and what it must hash to.

    Attributes
    ----------
    filename : str
        Name of the archive (``"ml-100k.zip"``).
    url : str
        Where to download it from.
    checksum : str
        Expected sha256 of the archive, as 64 hexadecimal digits.
    folder : str
        Name of the top-level folder inside the archive, which is also the
        name of the extracted folder in the cache (``"ml-100k"``).
    size : int or None, default=None
        Known size of the archive in bytes. A download that grows past
        ``1.1 * size`` (or announces a larger ``Content-Length``) is aborted;
        None sets no cap.

    See Also
    --------
    fetch_movielens : Reads the archives listed in
        ``skrec.datasets._movielens._MOVIELENS``, a dict of these entries.

    Examples
    --------
    >>> from skrec.datasets._movielens import _MOVIELENS
    >>> entry = _MOVIELENS["100k"]
    >>> entry.url
    'https://files.grouplens.org/datasets/movielens/ml-100k.zip'
    >>> mirror = entry._replace(url="http://127.0.0.1:8000/ml-100k.zip")
    >>> mirror.checksum == entry.checksum
    True
    >>> entry.size
    4924029
    """

    filename: str
    url: str
    checksum: str
    folder: str
    size: int | None = None


_BASE_URL = "https://files.grouplens.org/datasets/movielens/"

# The official GroupLens archives. The sha256 values are those pinned by
# tensorflow-datasets (tensorflow_datasets/url_checksums/movielens.txt, which
# also records the sizes: 100k 4,924,029 bytes, 1m 5,917,549, 20m 198,702,078,
# latest-small 978,202) and were cross-checked against independent projects
# that hard-code the same values (keras-rs examples, omnirec, DataDeps.jl,
# rust and python loaders), several of which also matched GroupLens' published
# md5. The "latest-small" archive is the September 2018 release (100,836
# ratings); GroupLens calls it a development set that may be regenerated, in
# which case the checksum check fails loudly rather than reading other data.
# Tests (or a mirror) may replace entries of this dict.
_MOVIELENS = {
    "100k": RemoteFileMetadata(
        filename="ml-100k.zip",
        url=_BASE_URL + "ml-100k.zip",
        checksum="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        folder="ml-100k",
        size=4_924_029,
    ),
    "1m": RemoteFileMetadata(
        filename="ml-1m.zip",
        url=_BASE_URL + "ml-1m.zip",
        checksum="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        folder="ml-1m",
        size=5_917_549,
    ),
    "20m": RemoteFileMetadata(
        filename="ml-20m.zip",
        url=_BASE_URL + "ml-20m.zip",
        checksum="96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",
        folder="ml-20m",
        size=198_702_078,
    ),
    "latest-small": RemoteFileMetadata(
        filename="ml-latest-small.zip",
        url=_BASE_URL + "ml-latest-small.zip",
        checksum="696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
        folder="ml-latest-small",
        size=978_202,
    ),
}

# Files each variant needs: ratings first, then item and user metadata.
_REQUIRED_FILES = {
    "100k": ("u.data", "u.item", "u.user", "u.genre"),
    "1m": ("ratings.dat", "movies.dat", "users.dat"),
    "20m": ("ratings.csv", "movies.csv"),
    "latest-small": ("ratings.csv", "movies.csv"),
}

_README = {"100k": "README", "1m": "README", "20m": "README.txt", "latest-small": "README.txt"}

_TITLES = {
    "100k": "MovieLens 100K (1998): 100,000 ratings 1-5 from 943 users on 1,682 movies.",
    "1m": "MovieLens 1M (2003): 1,000,209 ratings 1-5 from 6,040 users on 3,706 movies.",
    "20m": "MovieLens 20M (2015/2016): 20,000,263 ratings 0.5-5 from 138,493 users "
    "on 26,744 movies.",
    "latest-small": "MovieLens latest-small (September 2018): 100,836 ratings 0.5-5 from "
    "610 users on 9,724 movies.",
}

# ml-1m users.dat codes, from the ml-1m README.
_ML1M_OCCUPATIONS = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer",
    "homemaker", "K-12 student", "lawyer", "programmer", "retired", "sales/marketing",
    "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
)  # fmt: skip

_CHUNK = 1 << 20
_TIMEOUT = 60.0
#: A download may exceed the known size of its archive by this factor at most.
_SIZE_SLACK = 1.1
#: Written into each folder extracted by skrec: the archive's sha256 and one
#: sha256 per extracted file, re-checked by ``fetch_movielens(verify=True)``.
_MANIFEST = ".skrec-manifest.json"


def get_data_home(data_home=None):
    """Return the folder where skrec caches downloaded datasets.

    The folder is, in order of precedence, ``data_home``, the ``SKREC_DATA``
    environment variable, or ``~/skrec_data``. ``~`` is expanded and the
    folder is created if it does not exist.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use; None selects ``SKREC_DATA`` or ``~/skrec_data``.

    Returns
    -------
    str
        The absolute path of the cache folder.

    See Also
    --------
    fetch_movielens : Downloads into this folder.
    sklearn.datasets.get_data_home : The scikit-learn equivalent
        (``SCIKIT_LEARN_DATA``, ``~/scikit_learn_data``).

    Examples
    --------
    >>> import tempfile, os
    >>> from skrec.datasets import get_data_home
    >>> tmp = tempfile.mkdtemp()
    >>> get_data_home(os.path.join(tmp, "cache")) == os.path.join(tmp, "cache")
    True
    >>> os.path.isdir(os.path.join(tmp, "cache"))
    True
    """
    if data_home is None:
        data_home = os.environ.get("SKREC_DATA") or os.path.join("~", "skrec_data")
    # scikit-learn's helper expands "~" and creates the folder.
    return os.path.abspath(_sklearn_get_data_home(data_home))


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _remove(path):
    """Best-effort removal of a temporary file or folder."""
    try:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.remove(path)
    except OSError:
        pass


class _TooLarge(Exception):
    pass


def _too_large(remote, cap, what):
    return (
        f"Downloading {remote.url} was aborted: the server {what} bytes, more than "
        f"{cap} ({_SIZE_SLACK} x the known size of {remote.filename}, {remote.size} "
        "bytes). No partial file was kept; check the URL or the mirror."
    )


def _download(remote, data_home):
    """Stream ``remote.url`` to a temporary file in ``data_home``; verify sha256.

    Returns the path of the verified temporary archive; on any failure the
    temporary file is removed and an OSError is raised.
    """
    fd, tmp_path = tempfile.mkstemp(prefix=f".{remote.filename}.", suffix=".part", dir=data_home)
    cap = None if remote.size is None else int(remote.size * _SIZE_SLACK)
    try:
        digest = hashlib.sha256()
        n_bytes = 0
        try:
            with (
                os.fdopen(fd, "wb") as out,
                urllib.request.urlopen(remote.url, timeout=_TIMEOUT) as response,
            ):
                expected_length = response.headers.get("Content-Length")
                if (cap is not None and expected_length is not None
                        and expected_length.isdigit() and int(expected_length) > cap):
                    raise _TooLarge(_too_large(remote, cap, f"announces {expected_length}"))
                while True:
                    block = response.read(_CHUNK)
                    if not block:
                        break
                    n_bytes += len(block)
                    if cap is not None and n_bytes > cap:
                        raise _TooLarge(_too_large(remote, cap, f"sent over {n_bytes}"))
                    digest.update(block)
                    out.write(block)
        except _TooLarge as exc:
            raise OSError(str(exc)) from None
        except (OSError, http.client.HTTPException) as exc:
            # URLError, HTTPError and socket errors are OSError; a body cut short
            # raises http.client.IncompleteRead, an HTTPException.
            raise OSError(
                f"Downloading {remote.url} failed after {n_bytes} bytes: {exc!r}. "
                "No partial file was kept; try again later, or download the "
                f"archive yourself and extract it into {data_home}."
            ) from exc
        if expected_length is not None and n_bytes != int(expected_length):
            raise OSError(
                f"Downloading {remote.url} was interrupted: got {n_bytes} of "
                f"{expected_length} bytes. No partial file was kept; try again."
            )
        actual = digest.hexdigest()
        if remote.checksum is not None and actual != remote.checksum.lower():
            raise OSError(
                f"The archive downloaded from {remote.url} is corrupt or has changed: "
                f"expected sha256 {remote.checksum}, got {actual} ({n_bytes} bytes). "
                "It was deleted; try again, or check the URL."
            )
    except BaseException:
        _remove(tmp_path)
        raise
    return tmp_path


def _download_and_extract(remote, data_home, required=()):
    """Download, verify and extract ``remote`` into ``data_home/remote.folder``.

    The archive is extracted into a temporary folder next to the target and
    renamed into place, so the target exists only when it is complete: the
    archive passed its checksum and holds every file of ``required``. A
    manifest of the extracted files' sha256 is written into the folder.
    """
    target = os.path.join(data_home, remote.folder)
    archive = _download(remote, data_home)
    tmp_dir = None
    try:
        tmp_dir = tempfile.mkdtemp(prefix=f".{remote.folder}.", suffix=".extract", dir=data_home)
        try:
            with zipfile.ZipFile(archive) as zf:
                # extractall sanitizes absolute paths and ".." components.
                zf.extractall(tmp_dir)
        except zipfile.BadZipFile as exc:
            raise OSError(f"{remote.url} is not a valid zip archive: {exc}") from exc
        extracted = os.path.join(tmp_dir, remote.folder)
        if not os.path.isdir(extracted):
            raise OSError(
                f"The archive from {remote.url} has no top-level folder {remote.folder!r}; "
                f"found {sorted(os.listdir(tmp_dir))}."
            )
        missing = [f for f in required if not os.path.isfile(os.path.join(extracted, f))]
        if missing:
            raise OSError(
                f"The archive from {remote.url} passed its checksum but lacks {missing} in "
                f"{remote.folder}/; it was not kept in the cache. Check that the registry "
                "entry (URL, checksum, folder) names the right archive."
            )
        _write_manifest(extracted, remote)
        try:
            os.replace(extracted, target)
        except OSError:
            # Another process finished the same download first: keep theirs.
            if not os.path.isdir(target):
                raise
    finally:
        if tmp_dir is not None:
            _remove(tmp_dir)
        _remove(archive)
    return target


def _folder_files(folder):
    """Relative paths (with "/") of the files under ``folder``, manifest excluded."""
    out = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/")
            if rel != _MANIFEST:
                out.append(rel)
    return sorted(out)


def _write_manifest(folder, remote):
    files = {rel: _sha256(os.path.join(folder, rel)) for rel in _folder_files(folder)}
    manifest = {"archive": remote.filename, "sha256": remote.checksum.lower(), "files": files}
    with open(os.path.join(folder, _MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


def _verify_folder(variant, remote, folder):
    """None when ``folder`` matches its manifest and the registry, else the reason."""
    path = os.path.join(folder, _MANIFEST)
    if not os.path.isfile(path):
        return (f"{folder} has no {_MANIFEST} (it was not extracted by skrec, or by an "
                "older version), so its files cannot be checked")
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
        archive_sha, files = manifest["sha256"], dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"its manifest {path} is unreadable ({exc!r})"
    if remote.checksum is None or str(archive_sha).lower() != remote.checksum.lower():
        return (f"it was extracted from an archive with sha256 {archive_sha}, but the "
                f"registry expects {remote.checksum}")
    for name in _REQUIRED_FILES[variant]:
        if name not in files:
            return f"its manifest does not list {name}"
    for rel, expected in sorted(files.items()):
        full = os.path.join(folder, *rel.split("/"))
        if not os.path.isfile(full):
            return f"{rel} is missing"
        actual = _sha256(full)
        if actual != expected:
            return f"{rel} has changed (sha256 {actual}, expected {expected})"
    return None


def _discard(path):
    """Move ``path`` aside (so the name is free at once), then delete it."""
    aside = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".discard",
                             dir=os.path.dirname(path))
    try:
        os.replace(path, os.path.join(aside, "old"))
    finally:
        _remove(aside)


def _resolve_folder(variant, remote, data_home, download_if_missing, verify=False):
    """Find (or download) the extracted MovieLens folder for ``variant``."""
    required = _REQUIRED_FILES[variant]
    if data_home is not None:
        direct = Path(data_home).expanduser()
        if direct.is_dir() and not (direct / remote.folder).is_dir():
            name = direct.name
            other = {m.folder: v for v, m in _MOVIELENS.items() if v != variant}
            if name in other:
                raise ValueError(
                    f"data_home={str(data_home)!r} looks like the {name} folder, but "
                    f"variant={variant!r} was asked for; pass variant={other[name]!r}."
                )
            ratings = required[0]
            if name == remote.folder or (direct / ratings).is_file():
                if verify:
                    reason = _verify_folder(variant, remote, str(direct))
                    if reason is not None:
                        raise OSError(
                            f"verify=True: {direct} failed verification: {reason}. This "
                            "folder was passed as data_home and is left untouched; point "
                            "data_home at a cache folder to download a fresh copy, or pass "
                            "verify=False."
                        )
                return direct
    home = get_data_home(data_home)
    target = os.path.join(home, remote.folder)
    if os.path.isdir(target):
        if not verify:
            return Path(target)
        reason = _verify_folder(variant, remote, target)
        if reason is None:
            return Path(target)
        if not download_if_missing:
            raise OSError(
                f"verify=True: the cached MovieLens {variant} in {target} failed verification: "
                f"{reason}. Pass download_if_missing=True to replace it with a fresh "
                f"download, or delete {target}."
            )
        warnings.warn(
            f"The cached MovieLens {variant} in {target} failed verification ({reason}); "
            f"it is deleted and downloaded again from {remote.url}.",
            UserWarning,
            stacklevel=3,
        )
        _discard(target)
    if not download_if_missing:
        raise OSError(
            f"MovieLens {variant} was not found in {home} (no {remote.folder}/ folder) "
            "and download_if_missing=False. Pass download_if_missing=True to download "
            f"it from {remote.url}, or point data_home at an extracted {remote.folder} folder."
        )
    return Path(_download_and_extract(remote, home, required))


def _check_files(variant, folder):
    missing = [f for f in _REQUIRED_FILES[variant] if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder} is not a complete MovieLens {variant} folder: missing {missing}. "
            "Point data_home at a folder holding all the files of the official archive, "
            "or at an empty cache folder to download it."
        )


_YEAR = r"\((\d{4})(?:\s*[-\u2013]\s*\d{0,4})?\)\s*$"


def _title_year(titles):
    return pd.to_numeric(titles.str.extract(_YEAR, expand=False), errors="coerce").astype("Int64")


def _split_genres(genres):
    # "(no genres listed)" (20m, latest-small) becomes an empty list.
    return [[] if g == "(no genres listed)" or g == "" else g.split("|") for g in genres]


def _read_100k(folder):
    ratings = pd.read_csv(
        folder / "u.data",
        sep="\t",
        header=None,
        names=[USER, ITEM, "rating", TIME],
        dtype={USER: np.int64, ITEM: np.int64, "rating": np.float64, TIME: np.int64},
    )
    genre_names = [
        line.split("|")[0]
        for line in (folder / "u.genre").read_text(encoding="iso-8859-1").splitlines()
        if line.strip()
    ]
    items = pd.read_csv(
        folder / "u.item",
        sep="|",
        header=None,
        encoding="iso-8859-1",
        names=[ITEM, "title", "release_date", "video_release_date", "imdb_url", *genre_names],
        dtype={"title": str, "release_date": str, "imdb_url": str},
        keep_default_na=False,
    )
    flags = items[genre_names].to_numpy(dtype=bool)
    names = np.asarray(genre_names, dtype=object)
    year = _title_year(items["title"])
    released = pd.to_datetime(items["release_date"], format="%d-%b-%Y", errors="coerce")
    year = year.fillna(pd.Series(released.dt.year, dtype="Int64"))
    item_features = pd.DataFrame(
        {
            ITEM: items[ITEM].astype(np.int64),
            "title": items["title"],
            "year": year,
            "genres": [names[row].tolist() for row in flags],
            "release_date": released,
            "imdb_url": items["imdb_url"].replace("", None),
        }
    )
    users = pd.read_csv(
        folder / "u.user",
        sep="|",
        header=None,
        names=[USER, "age", "gender", "occupation", "zip"],
        dtype={USER: np.int64, "age": np.int64, "gender": str, "occupation": str, "zip": str},
        keep_default_na=False,
    )
    return ratings, users, item_features


def _read_dat(path):
    """Read a ``::``-separated ml-1m file into lists of fields (ISO-8859-1)."""
    with open(path, encoding="iso-8859-1") as f:
        return [line.rstrip("\r\n").split("::") for line in f if line.strip()]


def _read_1m(folder):
    # "::" is not a single character; read ":" fields and keep every other one
    # (the C parser is ~20 times faster than the python engine on 1M rows).
    ratings = pd.read_csv(
        folder / "ratings.dat",
        sep=":",
        header=None,
        usecols=[0, 2, 4, 6],
        names=[USER, "_a", ITEM, "_b", "rating", "_c", TIME],
        dtype={USER: np.int64, ITEM: np.int64, "rating": np.float64, TIME: np.int64},
    )
    movies = _read_dat(folder / "movies.dat")
    # Titles hold single colons but never "::"; rejoin defensively anyway.
    ids = [int(m[0]) for m in movies]
    titles = pd.Series(["::".join(m[1:-1]) for m in movies], dtype=object)
    item_features = pd.DataFrame(
        {
            ITEM: np.asarray(ids, dtype=np.int64),
            "title": titles,
            "year": _title_year(titles),
            "genres": _split_genres([m[-1] for m in movies]),
        }
    )
    users = _read_dat(folder / "users.dat")
    occupation = [int(u[3]) for u in users]
    user_features = pd.DataFrame(
        {
            USER: np.asarray([int(u[0]) for u in users], dtype=np.int64),
            "age": np.asarray([int(u[2]) for u in users], dtype=np.int64),
            "gender": [u[1] for u in users],
            "occupation": [
                _ML1M_OCCUPATIONS[o] if 0 <= o < len(_ML1M_OCCUPATIONS) else str(o)
                for o in occupation
            ],
            "zip": [u[4] for u in users],
        }
    )
    return ratings, user_features, item_features


def _read_csv_variant(folder):
    ratings = pd.read_csv(
        folder / "ratings.csv",
        header=0,
        names=[USER, ITEM, "rating", TIME],
        dtype={USER: np.int64, ITEM: np.int64, "rating": np.float64, TIME: np.int64},
        encoding="utf-8",
    )
    movies = pd.read_csv(
        folder / "movies.csv",
        header=0,
        names=[ITEM, "title", "genres"],
        dtype={ITEM: np.int64, "title": str, "genres": str},
        encoding="utf-8",
        keep_default_na=False,
    )
    item_features = pd.DataFrame(
        {
            ITEM: movies[ITEM],
            "title": movies["title"].str.strip(),
            "year": _title_year(movies["title"]),
            "genres": _split_genres(movies["genres"]),
        }
    )
    user_features = pd.DataFrame({USER: np.unique(ratings[USER].to_numpy())})
    return ratings, user_features, item_features


_READERS = {
    "100k": _read_100k,
    "1m": _read_1m,
    "20m": _read_csv_variant,
    "latest-small": _read_csv_variant,
}


def _describe(variant, remote, folder, ratings):
    lines = [
        _TITLES[variant],
        "",
        f"Read from {folder} (archive {remote.url}, sha256 {remote.checksum}).",
        f"This copy: {len(ratings):,} ratings, {ratings[USER].nunique():,} users, "
        f"{ratings[ITEM].nunique():,} rated items.",
        "",
        "Source: GroupLens Research, University of Minnesota. Cite F. M. Harper and "
        "J. A. Konstan, 'The MovieLens Datasets: History and Context', ACM TiiS 5(4):19, "
        "2015. Research use only, no commercial use; read the README below for the "
        "terms (most releases may not be redistributed).",
    ]
    readme = folder / _README[variant]
    if readme.is_file():
        text = readme.read_text(encoding="utf-8", errors="replace")
        lines += ["", "README", "------", text]
    return "\n".join(lines)


def fetch_movielens(variant="100k", *, data_home=None, download_if_missing=True, verify=False):
    """Load a MovieLens dataset, downloading it into a local cache if needed.

    Where the data is read from:

    1. if ``data_home`` is itself an extracted MovieLens folder of this
       variant (its name is the archive's folder name, e.g. ``ml-100k``, or it
       holds the variant's ratings file: ``u.data``, ``ratings.dat`` or
       ``ratings.csv``), that folder is read and nothing is downloaded;
    2. otherwise, if the cache folder (``data_home``, else the
       ``SKREC_DATA`` environment variable, else ``~/skrec_data``; see
       :func:`get_data_home`) holds the extracted folder (``ml-100k/``,
       ``ml-1m/``, ``ml-20m/`` or ``ml-latest-small/``), it is read;
    3. otherwise the official GroupLens archive is downloaded into the cache
       (when ``download_if_missing``), its sha256 is checked, and it is
       extracted there. The download goes to a temporary file and the
       extraction to a temporary folder renamed into place at the end, so an
       interrupted, oversized (more than 1.1 times the archive's known size)
       or corrupt download, or an archive that lacks one of the variant's
       files, leaves nothing behind; the archive is deleted after extraction
       and a manifest of the extracted files' sha256
       (``.skrec-manifest.json``) is kept in the folder.

    Parameters
    ----------
    variant : {"100k", "1m", "20m", "latest-small"}, default="100k"
        Which release to load. The ratings are integers 1..5 for ``"100k"``
        and ``"1m"``, half stars 0.5..5 for ``"20m"`` and ``"latest-small"``.
    data_home : str or path-like, default=None
        A MovieLens folder to read, or the cache folder (see above).
    download_if_missing : bool, default=True
        If False, raise an OSError instead of downloading when the data is
        not found locally.
    verify : bool, default=False
        Re-check a local copy before reading it: the manifest must name the
        archive checksum of the registry and every file must still hash to
        its recorded sha256 (this reads every file: a few seconds for
        ``"20m"``). A cached copy that fails (or has no manifest) is deleted
        and downloaded again, with a warning, when ``download_if_missing``
        is True; otherwise an OSError is raised. A folder passed directly as
        ``data_home`` is never deleted: failing verification raises an
        OSError.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - ``X``: DataFrame with columns ``user``, ``item`` (the original
          MovieLens integer ids) and ``timestamp`` (unix seconds), one row
          per rating in file order;
        - ``y``: float ndarray of ratings, one per row of ``X``;
        - ``user_features``: DataFrame with one row per user and a ``user``
          column; ``"100k"`` adds ``age``, ``gender``, ``occupation``,
          ``zip``; ``"1m"`` adds the same (``age`` is the lower bound of the
          age group, 1 meaning under 18, and the occupation code is mapped
          to its name). ``"20m"`` and ``"latest-small"`` have no user data:
          only the ``user`` column, one row per user who rated;
        - ``item_features``: DataFrame with one row per movie of the movie
          file (movies nobody rated included) and columns ``item``,
          ``title``, ``year`` (from the title, nullable ``Int64``) and
          ``genres`` (a list of strings; "(no genres listed)" becomes an
          empty list, while ML-100K's own "unknown" genre is kept);
          ``"100k"`` adds ``release_date`` and ``imdb_url``;
        - ``DESCR``: a description followed by the dataset's README;
        - ``variant``, ``folder``: what was read and where from.

    Raises
    ------
    ValueError
        For an unknown ``variant``, or a ``data_home`` that is the folder of
        another variant.
    OSError
        When the data is missing and ``download_if_missing=False``, when a
        download fails, exceeds the archive's known size, the archive's
        checksum does not match or it lacks a required file, when
        ``verify=True`` finds a local copy that cannot be replaced changed, and
        (``FileNotFoundError``) when the folder lacks a required file, such as
        ``ratings.dat``.

    See Also
    --------
    get_data_home : The default cache folder.
    make_interactions : Synthetic data with a known right answer, no download.

    Notes
    -----
    MovieLens is published by GroupLens Research for research use; most
    releases may not be redistributed (``"latest-small"`` may, under the same
    terms). The archive URLs and checksums live in the module-level dict
    ``skrec.datasets._movielens._MOVIELENS`` of :class:`RemoteFileMetadata`
    entries, which a mirror may override.

    Examples
    --------
    Downloading needs a network connection (about 5 MB for ``"100k"``):

    >>> from skrec.datasets import fetch_movielens
    >>> data = fetch_movielens("100k")  # doctest: +SKIP

    An existing folder in the MovieLens layout is read without downloading;
    here a tiny ``ml-latest-small`` folder is made on the fly:

    >>> import os, tempfile
    >>> folder = os.path.join(tempfile.mkdtemp(), "ml-latest-small")
    >>> os.mkdir(folder)
    >>> with open(os.path.join(folder, "ratings.csv"), "w") as f:
    ...     _ = f.write("userId,movieId,rating,timestamp\\n1,1,4.0,964982703\\n"
    ...                 "1,2,3.5,964981247\\n2,2,5.0,964982224\\n")
    >>> with open(os.path.join(folder, "movies.csv"), "w") as f:
    ...     _ = f.write("movieId,title,genres\\n1,Toy Story (1995),Animation|Comedy\\n"
    ...                 '2,"American President, The (1995)",Comedy|Drama|Romance\\n')
    >>> data = fetch_movielens("latest-small", data_home=folder, download_if_missing=False)
    >>> data.X
       user  item  timestamp
    0     1     1  964982703
    1     1     2  964981247
    2     2     2  964982224
    >>> data.y
    array([4. , 3.5, 5. ])
    >>> data.item_features[["item", "year", "genres"]]
       item  year                     genres
    0     1  1995        [Animation, Comedy]
    1     2  1995  [Comedy, Drama, Romance]
    """
    if variant not in _MOVIELENS:
        raise ValueError(f"variant must be one of {sorted(_MOVIELENS)}, got {variant!r}.")
    remote = _MOVIELENS[variant]
    folder = _resolve_folder(variant, remote, data_home, download_if_missing, verify)
    _check_files(variant, folder)
    ratings, user_features, item_features = _READERS[variant](folder)
    X = ratings[[USER, ITEM, TIME]].reset_index(drop=True)
    y = ratings["rating"].to_numpy(dtype=np.float64)
    return Bunch(
        X=X,
        y=y,
        user_features=user_features,
        item_features=item_features,
        DESCR=_describe(variant, remote, folder, ratings),
        variant=variant,
        folder=str(folder),
    )
