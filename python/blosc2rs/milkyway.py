"""The Milky Way explorer from Python: the functions of the ``milkyway`` command.

A galaxy is the directory ``milkyway ingest`` writes (``cube.b2nd``, ``stars/``,
``summary.json``); these functions call the same library as the command, with the GIL
released, and give the same results:

* :func:`ingest` and :func:`merge` write a galaxy and return its summary (the content of
  ``summary.json`` as a dict);
* :func:`stats` returns the dict ``milkyway stats --json`` prints;
* :func:`query` returns every star of a sphere or a box as a NumPy structured array
  (``source_id``, ``x``, ``y``, ``z``, ``mag``), the stars ``milkyway query`` lists;
* :func:`synth` writes a synthetic Gaia-like catalogue (``milkyway synth``);
* :func:`dask_ingest` ingests shards of the files as Dask tasks and merges them, which gives
  the same galaxy as one :func:`ingest`.

>>> import blosc2rs.milkyway as mw
>>> files = mw.synth("catalogue", 20_000, files=4)            # doctest: +SKIP
>>> summary = mw.ingest(files, "galaxy")                       # doctest: +SKIP
>>> near = mw.query("galaxy", sphere=(0, 0, 0, 500))           # doctest: +SKIP
>>> near["mag"].min(), mw.to_pandas(near).describe()           # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any, Iterable, Optional, Sequence, Tuple, Union

import numpy as np

from ._blosc2rs import _milkyway as _mw

PathLike = Union[str, "os.PathLike[str]"]

#: Distance constant of ``d = K / parallax`` (ly x mas), 1 pc = 3.26156 ly.
K_EXACT: float = _mw.K_EXACT
#: The talk's K (``--talk-k``).
K_TALK: float = _mw.K_TALK

#: The fields of :func:`query`'s result: Gaia ``source_id``, ICRS Cartesian light years with
#: the Sun at the origin, ``phot_g_mean_mag`` (NaN when missing).
STAR_DTYPE = np.dtype([("source_id", "<i8"), ("x", "<f8"), ("y", "<f8"), ("z", "<f8"), ("mag", "<f4")])

__all__ = [
    "K_EXACT",
    "K_TALK",
    "STAR_DTYPE",
    "Stars",
    "dask_ingest",
    "ingest",
    "list_inputs",
    "merge",
    "query",
    "stats",
    "synth",
    "to_pandas",
]


def _paths(files: Union[PathLike, Iterable[PathLike]]) -> list:
    if isinstance(files, (str, os.PathLike)):
        return [os.fspath(files)]
    return [os.fspath(f) for f in files]


class Stars(np.ndarray):
    """The stars of a query: a structured NumPy array of :data:`STAR_DTYPE` (in the star
    table's order: by cube chunk, cell, source_id), with :meth:`to_pandas`."""

    def to_pandas(self):
        """The stars as a ``pandas.DataFrame`` (one column per field); needs pandas."""
        return to_pandas(self)


def to_pandas(stars: np.ndarray):
    """A structured array (such as :func:`query`'s result) as a ``pandas.DataFrame``."""
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_pandas needs pandas (pip install pandas)") from e
    return pd.DataFrame({name: np.asarray(stars[name]) for name in stars.dtype.names})


def list_inputs(files: Union[PathLike, Iterable[PathLike]], shard: Optional[Tuple[int, int]] = None) -> list:
    """The input files of an ingest, as ``milkyway ingest`` finds them: directories expanded
    to their ``.csv``/``.csv.gz`` files, sorted by name, only files ``i, i + n, ...`` when
    ``shard=(i, n)``."""
    return [os.fspath(p) for p in _mw.list_inputs(_paths(files), shard)]


def ingest(
    files: Union[PathLike, Iterable[PathLike]],
    out: PathLike,
    *,
    radius_ly: float = 10_000.0,
    cell_ly: float = 1.0,
    chunk: int = 250,
    block: int = 25,
    k: Optional[float] = None,
    talk_k: bool = False,
    max_bad_rows: int = 0,
    jobs: Optional[int] = None,
    shard: Optional[Tuple[int, int]] = None,
    force: bool = False,
    sync: bool = False,
) -> dict:
    """``milkyway ingest FILES... -o OUT``: Gaia CSV(.gz) files or directories of them into the
    galaxy directory ``out``. The keywords are the command's options (``jobs=None``: all
    cores; ``shard=(i, n)``: ``--shard i/n``). Returns the summary (``summary.json``)."""
    text = _mw.ingest(
        _paths(files),
        os.fspath(out),
        radius_ly=radius_ly,
        cell_ly=cell_ly,
        chunk=chunk,
        block=block,
        k=k,
        talk_k=talk_k,
        max_bad_rows=max_bad_rows,
        jobs=jobs,
        shard=shard,
        force=force,
        sync=sync,
    )
    return json.loads(text)


def merge(parts: Iterable[PathLike], out: PathLike, *, force: bool = False) -> dict:
    """``milkyway merge PARTS... -o OUT``: galaxies ingested from disjoint shards into one,
    equal to one ingest of all their files. Returns the summary."""
    return json.loads(_mw.merge(_paths(parts), os.fspath(out), force=force))


def stats(galaxy: PathLike, bin_ly: float = 1000.0) -> dict:
    """``milkyway stats GALAXY --json``: whole-cube statistics from the chunk metadata, as a
    dict with the same keys (``stars``, ``nonempty_cells``, ``nonempty_chunks``, ``nchunks``,
    ``zero_chunks``, ``occupancy``, ``saturated_cells``, ``max_cell``, ``bbox``,
    ``distance_histogram``, ``cbytes``)."""
    return json.loads(_mw.stats(os.fspath(galaxy), bin_ly))


def query(
    galaxy: PathLike,
    sphere: Optional[Sequence[float]] = None,
    box: Optional[Sequence[Sequence[float]]] = None,
) -> Stars:
    """``milkyway query``: every star of the galaxy in ``sphere=(x, y, z, r)`` (``|p - c| <=
    r``) or ``box=((x0, x1), (y0, y1), (z0, z1))`` (closed), in light years, exactly (from
    the star table). Returns a :class:`Stars` array of :data:`STAR_DTYPE`."""
    if sphere is not None:
        sphere = tuple(float(v) for v in sphere)
    if box is not None:
        box = tuple(tuple(float(v) for v in axis) for axis in box)
    cols = _mw.query(os.fspath(galaxy), sphere=sphere, box=box)
    out = np.empty(len(cols[0]), dtype=STAR_DTYPE)
    for name, col in zip(STAR_DTYPE.names, cols):
        out[name] = col
    return out.view(Stars)


def synth(out: PathLike, stars: int, *, seed: int = 1, files: Optional[int] = None) -> list:
    """``milkyway synth -o OUT --stars N``: a synthetic Gaia-like catalogue (deterministic for
    a seed) of ``files`` gzipped CSV files. Returns their paths."""
    return [os.fspath(p) for p in _mw.synth(os.fspath(out), stars, seed=seed, files=files)]


def _ingest_shard(inputs: list, part: str, shard: Tuple[int, int], options: dict) -> str:
    ingest(inputs, part, shard=shard, force=True, **options)
    return part


def _merge_parts(parts: list, out: str, force: bool) -> dict:
    return merge(parts, out, force=force)


def dask_ingest(
    files: Union[PathLike, Iterable[PathLike]],
    out: PathLike,
    *,
    nshards: Optional[int] = None,
    client: Any = None,
    parts_dir: Optional[PathLike] = None,
    keep_parts: bool = False,
    force: bool = False,
    **options: Any,
) -> dict:
    """Ingests the files as Dask tasks, then merges: shard ``i`` of ``nshards`` (files ``i, i
    + nshards, ...`` of the sorted list, as ``milkyway ingest --shard i/n``) is ingested by
    one task into ``parts_dir/part<i>``, and one last task merges the parts into ``out``. The
    result is the same galaxy as ``ingest(files, out)``.

    ``client``: a ``dask.distributed.Client`` (its workers must see the paths: a shared file
    system on a cluster); without one, Dask's default scheduler runs the tasks. ``nshards``:
    default one per file. ``parts_dir``: default ``out`` + ``.parts``, removed after the
    merge unless ``keep_parts``. Other keywords are :func:`ingest`'s (``radius_ly``,
    ``cell_ly``, ``chunk``, ``block``, ``k``, ``talk_k``, ``max_bad_rows``, ``jobs``).
    Returns the merged galaxy's summary."""
    import dask

    for bad in ("shard", "force", "sync"):
        if bad in options:
            raise TypeError(f"dask_ingest sets {bad!r} itself")
    out = os.fspath(out)
    inputs = _paths(files)
    n = len(list_inputs(inputs))
    if n == 0:
        raise ValueError("no input files")
    nshards = n if nshards is None else max(1, min(int(nshards), n))
    if os.path.exists(out) and not force:
        raise FileExistsError(f"{out} exists (force=True replaces it)")
    parts_dir = os.fspath(parts_dir) if parts_dir is not None else out + ".parts"
    os.makedirs(parts_dir, exist_ok=True)
    parts = [
        dask.delayed(_ingest_shard, pure=False)(inputs, os.path.join(parts_dir, f"part{i}"), (i, nshards), options)
        for i in range(nshards)
    ]
    task = dask.delayed(_merge_parts, pure=False)(parts, out, force)
    try:
        if client is not None:
            summary = client.compute(task).result()
        else:
            (summary,) = dask.compute(task)
    finally:
        if not keep_parts:
            shutil.rmtree(parts_dir, ignore_errors=True)
    return summary
