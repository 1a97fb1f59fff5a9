"""blosc2rs.milkyway against the `milkyway` command on a small synthetic catalogue: the same
galaxy, the same statistics, the same stars."""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import blosc2rs
import blosc2rs.milkyway as mw
from conftest import REPO

# 10 ly cells keep the cube small (2000^3 cells, 512 chunks), as apps/milkyway's tests do.
GRID = {"radius_ly": 10_000.0, "cell_ly": 10.0, "chunk": 250, "block": 25}
GRID_ARGS = ["--radius-ly", "10000", "--cell-ly", "10", "--chunk", "250", "--block", "25"]
TABLE = ["source_id", "x", "y", "z", "mag", "chunk_nchunk", "chunk_start"]


def milkyway_bin():
    """The `milkyway` binary: $MILKYWAY_BIN, else the newest of target/{release,debug}."""
    env = os.environ.get("MILKYWAY_BIN")
    if env:
        return env
    found = [p for p in (REPO / "target" / "release" / "milkyway", REPO / "target" / "debug" / "milkyway") if p.exists()]
    if not found:
        pytest.fail("no milkyway binary: build it (cargo build -p milkyway) or set MILKYWAY_BIN")
    return str(max(found, key=lambda p: p.stat().st_mtime))


def cli(*args):
    r = subprocess.run([milkyway_bin(), *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def same_galaxy(a, b):
    """The same galaxy: the cube and the star table byte for byte (so cell for cell and star
    for star), and the same table read back."""
    table = [f"stars/{c}.b2nd" for c in TABLE]
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*.b2nd"))
    assert files == sorted(p.relative_to(b).as_posix() for p in b.rglob("*.b2nd"))
    # The cube, the star table and the pyramid's levels.
    assert set(["cube.b2nd"] + table) <= set(files)
    assert any(f.startswith("pyramid/level_") for f in files), files
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    for f in table:
        np.testing.assert_array_equal(blosc2rs.open(a / f)[:], blosc2rs.open(b / f)[:], err_msg=f)


@pytest.fixture(scope="module")
def galaxy(tmp_path_factory):
    """A 20,000-row catalogue in 4 files, ingested by blosc2rs.milkyway and by the command."""
    tmp = tmp_path_factory.mktemp("milkyway")
    files = mw.synth(tmp / "cat", 20_000, seed=5, files=4)
    assert len(files) == 4
    summary = mw.ingest(tmp / "cat", tmp / "py", **GRID)
    cli("ingest", tmp / "cat", "-o", tmp / "cli", *GRID_ARGS, "--quiet")
    return tmp, summary


def test_synth_equals_the_command(galaxy, tmp_path):
    tmp, _ = galaxy
    cli("synth", "-o", tmp_path / "cat", "--stars", 20_000, "--seed", 5, "--files", 4)
    ours = sorted(pathlib.Path(f).name for f in mw.list_inputs(tmp / "cat"))
    theirs = sorted(os.listdir(tmp_path / "cat"))
    assert ours == theirs
    for name in ours:
        assert (tmp / "cat" / name).read_bytes() == (tmp_path / "cat" / name).read_bytes(), name


def test_ingest_equals_the_command(galaxy):
    tmp, summary = galaxy
    same_galaxy(tmp / "py", tmp / "cli")
    theirs = json.loads((tmp / "cli" / "summary.json").read_text())
    assert summary == json.loads((tmp / "py" / "summary.json").read_text())
    # Everything but timings (the pyramid's build time).
    summary["cube"]["pyramid"].pop("build_s")
    theirs["cube"]["pyramid"].pop("build_s")
    for key in ("counts", "cube", "grid", "k_ly_mas", "format", "input_bytes", "credit"):
        assert summary[key] == theirs[key], key
    assert summary["counts"]["rows"] == 20_000
    assert 0 < summary["counts"]["selected"] < 20_000


def test_stats_equal_the_command(galaxy):
    tmp, _ = galaxy
    for bin_ly in (1000.0, 250.0):
        want = json.loads(cli("stats", tmp / "cli", "--json", "--bin-ly", bin_ly))
        got = mw.stats(tmp / "py", bin_ly=bin_ly)
        assert got == want
        assert set(got) == {
            "stars", "nonempty_cells", "nonempty_chunks", "nchunks", "zero_chunks", "occupancy",
            "saturated_cells", "max_cell", "bbox", "distance_histogram", "cbytes",
        }
    s = mw.stats(tmp / "py")
    assert s["stars"] == json.loads((tmp / "py" / "summary.json").read_text())["counts"]["selected"]


REGIONS = [
    {"sphere": (0, 0, 0, 2000)},
    {"sphere": (-1500.5, 300, 20, 1200)},
    {"sphere": (0, 0, 0, 0)},
    {"sphere": (50_000, 0, 0, 10)},
    {"box": ((-3000, 1000), (-500, 2500), (-800, 800))},
    {"box": ((-10_000, 10_000), (-10_000, 10_000), (-10_000, 10_000))},
    {"box": ((100, 100), (0, 0), (5, 5))},
]


def region_args(region):
    if "sphere" in region:
        return ["--sphere", ",".join(map(str, region["sphere"]))]
    return ["--box", ",".join(f"{a}:{b}" for a, b in region["box"])]


@pytest.mark.parametrize("region", REGIONS, ids=lambda r: json.dumps(r))
def test_query_equals_the_command(galaxy, region):
    tmp, _ = galaxy
    want = json.loads(cli("query", tmp / "cli", *region_args(region), "--json"))
    got = mw.query(tmp / "py", **region)
    assert isinstance(got, mw.Stars) and got.dtype == mw.STAR_DTYPE
    assert len(got) == want["count"] == len(want["stars"])
    np.testing.assert_array_equal(got["source_id"], [s["source_id"] for s in want["stars"]])
    for axis in "xyz":
        np.testing.assert_array_equal(got[axis], [s[axis] for s in want["stars"]])
    # Magnitudes: the star table's, row for row.
    ids = blosc2rs.open(tmp / "py" / "stars" / "source_id.b2nd")[:]
    mags = blosc2rs.open(tmp / "py" / "stars" / "mag.b2nd")[:]
    rows = {int(i): k for k, i in enumerate(ids)}
    np.testing.assert_array_equal(got["mag"], mags[[rows[int(i)] for i in got["source_id"]]])


def test_query_big_region_finds_every_star(galaxy):
    tmp, summary = galaxy
    every = mw.query(tmp / "py", box=((-1e6, 1e6),) * 3)
    assert len(every) == summary["counts"]["selected"]
    near = mw.query(tmp / "py", sphere=(0, 0, 0, 3000))
    d = np.sqrt(near["x"] ** 2 + near["y"] ** 2 + near["z"] ** 2)
    assert (d <= 3000).all()
    inside = np.sqrt(every["x"] ** 2 + every["y"] ** 2 + every["z"] ** 2) <= 3000
    assert sorted(every["source_id"][inside]) == sorted(near["source_id"])


def test_query_to_pandas(galaxy):
    pd = pytest.importorskip("pandas")
    tmp, _ = galaxy
    near = mw.query(tmp / "py", sphere=(0, 0, 0, 1500))
    df = near.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["source_id", "x", "y", "z", "mag"]
    assert len(df) == len(near)
    np.testing.assert_array_equal(df["source_id"].to_numpy(), near["source_id"])
    assert df["mag"].dtype == np.float32
    assert mw.to_pandas(near[:3]).shape == (min(3, len(near)), 5)


def test_merge_of_shards_equals_one_ingest(galaxy, tmp_path):
    tmp, summary = galaxy
    parts = []
    for i in range(3):
        p = tmp_path / f"part{i}"
        mw.ingest(tmp / "cat", p, shard=(i, 3), **GRID)
        parts.append(p)
    merged = mw.merge(parts, tmp_path / "merged")
    assert merged["counts"] == summary["counts"]
    assert merged["cube"]["nonempty_cells"] == summary["cube"]["nonempty_cells"]
    same_galaxy(tmp_path / "merged", tmp / "cli")


def test_errors_are_exceptions(galaxy, tmp_path):
    tmp, _ = galaxy
    with pytest.raises(blosc2rs.Blosc2Error, match="exactly one"):
        mw.query(tmp / "py")
    with pytest.raises(blosc2rs.Blosc2Error, match="exactly one"):
        mw.query(tmp / "py", sphere=(0, 0, 0, 1), box=((0, 1), (0, 1), (0, 1)))
    with pytest.raises(blosc2rs.Blosc2Error, match="radius"):
        mw.query(tmp / "py", sphere=(0, 0, 0, -1))
    with pytest.raises(blosc2rs.Blosc2Error, match="lo <= hi"):
        mw.query(tmp / "py", box=((1, 0), (0, 1), (0, 1)))
    with pytest.raises(blosc2rs.Blosc2Error):
        mw.query(tmp / "py", sphere=(0, 0, float("nan"), float("nan")))
    with pytest.raises(OSError, match="nowhere"):
        mw.stats(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError, match="not a galaxy directory"):
        mw.stats(tmp_path / "empty")
    with pytest.raises(blosc2rs.Blosc2Error, match="bin_ly"):
        mw.stats(tmp / "py", bin_ly=0)
    with pytest.raises(blosc2rs.Blosc2Error, match="exists"):
        mw.ingest(tmp / "cat", tmp / "py", **GRID)
    with pytest.raises(blosc2rs.Blosc2Error, match="does not exist"):
        mw.ingest(tmp_path / "missing.csv", tmp_path / "g", **GRID)
    with pytest.raises(blosc2rs.Blosc2Error, match="shard"):
        mw.ingest(tmp / "cat", tmp_path / "g", shard=(3, 3), **GRID)
    bad = tmp_path / "bad.csv"
    bad.write_text("source_id,ra,dec,parallax\n1,2,3\n")
    with pytest.raises(blosc2rs.Blosc2Error, match="malformed row"):
        mw.ingest(bad, tmp_path / "g", **GRID)
    assert not (tmp_path / "g").exists()
    # A hostile cube: the explorer's checks, as exceptions.
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "summary.json").write_text((tmp / "py" / "summary.json").read_text())
    (tmp_path / "broken" / "cube.b2nd").write_bytes(b"\x00" * 100)
    with pytest.raises(blosc2rs.Blosc2Error, match="cube.b2nd"):
        mw.stats(tmp_path / "broken")


def test_example_script_runs(tmp_path):
    pytest.importorskip("plotly")
    import sys

    r = subprocess.run(
        [sys.executable, str(REPO / "python" / "examples" / "explore.py"), str(tmp_path / "demo"), "--stars", "20000"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "stars within 1,000 ly" in r.stdout
    page = (tmp_path / "demo" / "explore.html").read_text()
    assert page.count('class="plotly-graph-div"') == 4
    assert "ESA/Gaia/DPAC" in page
