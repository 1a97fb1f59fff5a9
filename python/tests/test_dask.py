"""Dask: arrays as `dask.array.from_array(a, chunks=a.chunks)` (threads and worker processes,
arrays pickled by path), and the explorer's ingest as Dask tasks equal to one ingest."""

import pickle

import numpy as np
import pytest

import blosc2rs
import blosc2rs.milkyway as mw
from test_milkyway import GRID, same_galaxy

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes (one thread each) and the scheduler, on loopback."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    ) as c, distributed.Client(c) as client:
        yield client


def stored(tmp_path, x, **kw):
    """`x` written to a .b2nd file, opened again read-only."""
    path = tmp_path / "a.b2nd"
    w = blosc2rs.asarray(x, urlpath=path, **kw)
    del w
    return blosc2rs.open(path)


def test_pickles_by_path(tmp_path):
    x = np.arange(6000, dtype="i4").reshape(20, 300)
    a = stored(tmp_path, x, chunks=(7, 100), blocks=(7, 25))
    payload = pickle.dumps(a)
    assert len(payload) < 500  # the path, not the data
    b = pickle.loads(payload)
    assert b.urlpath == a.urlpath and b.mode == "r"
    np.testing.assert_array_equal(b[:], x)
    m = blosc2rs.open(a.urlpath, mmap=True)
    assert pickle.loads(pickle.dumps(m)).mmap


@pytest.mark.parametrize("dtype", ["i8", "u2", "f4", "f8"])
def test_reductions_threaded(tmp_path, dtype):
    rng = np.random.default_rng(7)
    x = (rng.integers(0, 1000, (60, 45, 50)) if dtype[0] in "iu" else rng.standard_normal((60, 45, 50))).astype(dtype)
    a = stored(tmp_path, x, chunks=(25, 20, 50), blocks=(10, 10, 10))
    d = da.from_array(a, chunks=a.chunks)
    assert d.shape == x.shape and d.dtype == x.dtype and d.chunksize == a.chunks
    with __import__("dask").config.set(scheduler="threads"):
        np.testing.assert_array_equal(d.compute(), x)
        np.testing.assert_array_equal(d[5:50:3, ::-2, 7].compute(), x[5:50:3, ::-2, 7])
        np.testing.assert_array_equal(d.max(axis=1).compute(), x.max(axis=1))
        np.testing.assert_array_equal(d.min().compute(), x.min())
        if dtype[0] in "iu":
            assert d.sum().compute() == x.sum()
            np.testing.assert_array_equal(d.sum(axis=(0, 2)).compute(), x.sum(axis=(0, 2)))
        else:
            # Sums of floats in another order: equal up to rounding.
            np.testing.assert_allclose(d.sum().compute(), x.sum(dtype="f8"), rtol=1e-5)
            np.testing.assert_allclose(d.mean(axis=0).compute(), x.mean(axis=0), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(d.std().compute(), x.std(), rtol=1e-5)


def test_reductions_on_worker_processes(tmp_path, cluster):
    rng = np.random.default_rng(8)
    x = rng.integers(-10**6, 10**6, (80, 64, 40)).astype("i8")
    a = stored(tmp_path, x, chunks=(20, 32, 40), blocks=(10, 16, 8))
    d = da.from_array(a, chunks=a.chunks)
    assert cluster.compute(d.sum()).result() == x.sum()
    np.testing.assert_array_equal(cluster.compute(d.max(axis=0)).result(), x.max(axis=0))
    np.testing.assert_array_equal(cluster.compute(d[::7, 3, ::-5]).result(), x[::7, 3, ::-5])
    np.testing.assert_array_equal(cluster.compute((d * 2 - 1).sum(axis=2)).result(), (x * 2 - 1).sum(axis=2))
    # The workers are other processes: they read the file themselves.
    pids = cluster.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2
    # Arrays in memory travel as their frame.
    m = blosc2rs.asarray(x[:10], chunks=(5, 32, 40))
    dm = da.from_array(m, chunks=m.chunks)
    assert cluster.compute(dm.sum()).result() == x[:10].sum()


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dask-ingest")
    mw.synth(tmp / "cat", 15_000, seed=9, files=5)
    mw.ingest(tmp / "cat", tmp / "one", **GRID)
    return tmp


def test_dask_ingest_equals_one_ingest(catalogue, cluster, tmp_path):
    one = mw.stats(catalogue / "one")
    s = mw.dask_ingest(catalogue / "cat", tmp_path / "g", client=cluster, nshards=3, jobs=1, **GRID)
    assert s["counts"]["rows"] == 15_000
    same_galaxy(tmp_path / "g", catalogue / "one")
    assert mw.stats(tmp_path / "g") == one
    box = ((-4000, 4000), (-4000, 4000), (-2000, 2000))
    a, b = mw.query(tmp_path / "g", box=box), mw.query(catalogue / "one", box=box)
    np.testing.assert_array_equal(a, b)
    assert not (tmp_path / "g.parts").exists()
    # One shard per file (the default), on Dask's default scheduler.
    s2 = mw.dask_ingest(catalogue / "cat", tmp_path / "g2", **GRID)
    assert s2["counts"] == s["counts"]
    same_galaxy(tmp_path / "g2", catalogue / "one")
    with pytest.raises(FileExistsError):
        mw.dask_ingest(catalogue / "cat", tmp_path / "g2", **GRID)
    with pytest.raises(TypeError):
        mw.dask_ingest(catalogue / "cat", tmp_path / "g3", shard=(0, 2), **GRID)
