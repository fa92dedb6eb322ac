"""The Python writer and reader: its API, the seed's snippet, validation, several processes at once, and the
round trip with the Rust side (`asgard dump` is the Rust reader; `asgard example` the Rust writer)."""

import json
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import asgard_storage
from asgard_storage import AsgardStorage, InvalidData, NotFound

ROOT = Path(__file__).resolve().parents[3]
ASGARD = os.environ.get("ASGARD_BIN", str(ROOT / "target" / "debug" / "asgard"))


def rust_dump(path):
    """Every run and result of the storage as the Rust reader sees them."""
    out = subprocess.run([ASGARD, "dump", "--storage", str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_runs_and_results_round_trip(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("heat", equation="u_t = u_xx", circuit="r0 = x", metadata={"dt": 0.1})
    assert run.status == "running" and run.results == []
    x = np.linspace(0, 1, 2001)
    big = storage.add_result(run.id, "Solution1D", {"x": x, "computed": np.sin(x)}, {"title": "big"})
    small = storage.add_result(run.id, "Solution1D", {"x": [0, 0.5, 1], "computed": [0.0, None, 1.0]})

    assert sorted(p.name for p in (tmp_path / "s" / "files").iterdir()) == [
        f"{big.id}_computed.npy",
        f"{big.id}_x.npy",
    ]
    again = storage.get_result(big.id)
    assert again.result_type == "Solution1D" and again.run_id == run.id
    assert again.data["x"].dtype == np.float64 and np.array_equal(again.data["x"], x)
    assert again.display == {"title": "big"}
    inline = storage.get_result(small.id).data["computed"]
    assert inline.dtype == np.float64 and inline[0] == 0.0 and np.isnan(inline[1])

    storage.set_status(run.id, "completed")
    stored = storage.get_run(run.id)
    assert stored.status == "completed" and stored.results == [big.id, small.id]
    assert stored.metadata == {"dt": 0.1} and stored.equation == "u_t = u_xx" and stored.circuit == "r0 = x"
    time.sleep(0.002)
    newer = storage.create_run("newer")
    assert [r.id for r in storage.list_runs()] == [newer.id, run.id]

    storage.delete_run(run.id)
    assert [r.id for r in storage.list_runs()] == [newer.id]
    assert list((tmp_path / "s" / "files").iterdir()) == []
    assert list((tmp_path / "s" / "results").iterdir()) == []
    with pytest.raises(NotFound, match=f"no run with id {run.id}"):
        storage.get_run(run.id)
    assert not any(p.name.startswith(".tmp-") for p in (tmp_path / "s").rglob("*"))


def test_the_seed_snippet_runs_unchanged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from gimle.asgard.monitor.storage import AsgardStorage as SeedStorage

    assert SeedStorage is asgard_storage.AsgardStorage
    x_values = np.linspace(0, 1, 50)
    y_values = x_values**2
    run_id = asgard_storage.AsgardStorage("./my-results").create_run(name="earlier").id
    # The seed's documentation, verbatim:
    from gimle.asgard.monitor.storage import AsgardStorage
    storage = AsgardStorage("./my-results")
    run = storage.create_run(name="My Simulation", equation="int(f, x) = g")
    storage.add_result(run_id=run.id, result_type="Solution1D",
                       data={"x": x_values, "computed": y_values},
                       display={"title": "My Plot", "labels": {"x": "x", "y": "f(x)"}})
    runs = storage.list_runs()
    run = storage.get_run(run_id)
    # What it wrote:
    assert [r.name for r in runs] == ["My Simulation", "earlier"]
    assert run.name == "earlier"
    mine = storage.get_run(runs[0].id)
    assert mine.equation == "int(f, x) = g" and len(mine.results) == 1
    result = storage.get_result(mine.results[0])
    assert np.array_equal(result.data["computed"], y_values)
    assert result.display["labels"] == {"x": "x", "y": "f(x)"}


def test_array_likes_lists_and_dtypes(tmp_path):
    class FakeJaxArray:
        """Anything with __array__ (JAX, PyTorch on CPU, xarray) is taken as an array."""

        def __init__(self, values):
            self.values = values

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.values, dtype=dtype)

    storage = AsgardStorage(tmp_path / "s", inline_threshold=4)
    run = storage.create_run("types")
    paths = np.arange(12, dtype=np.float32).reshape(3, 4)
    r = storage.add_result(
        run.id,
        "StochasticEnsemble",
        {"t": FakeJaxArray([0.0, 1.0, 2.0, 3.0]), "paths": paths},
        {"confidence": 0.9},
    )
    got = storage.get_result(r.id).data
    assert got["paths"].dtype == np.float32 and np.array_equal(got["paths"], paths)
    assert got["t"].dtype == np.float64 and list(got["t"]) == [0, 1, 2, 3]

    seq = storage.add_result(
        run.id,
        "DiscreteSequence",
        {"values": np.array([1, 2, 3, 4, 5], dtype=np.int16), "index": (0, 1, 2, 3, 4)},
    )
    got = storage.get_result(seq.id).data
    assert got["values"].dtype == np.int32, "int16 is stored as the nearest type the monitor reads"
    assert list(got["index"]) == [0, 1, 2, 3, 4]

    big_endian = np.arange(6, dtype=">f8")
    b = storage.add_result(run.id, "Solution1D", {"x": big_endian, "computed": big_endian})
    assert storage.get_result(b.id).data["x"].dtype.str == "<f8"

    opt = storage.add_result(
        run.id,
        "OptimizationResult",
        {"loss": [3.0, 2.0, 1.0], "params": [[0, 1], [1, 1], [2, 1]], "param_names": ["a", "b"]},
    )
    assert storage.get_result(opt.id).data["param_names"] == ["a", "b"]
    with pytest.raises(InvalidData, match="complex arrays cannot be stored"):
        storage.add_result(run.id, "Custom", {"z": np.ones(3, dtype=complex)})


def test_invalid_results_are_refused_with_the_rust_messages(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("bad")
    cases = [
        ("Solution1D", {"x": np.zeros(100), "computed": np.zeros(99)},
         "Solution1D field `computed`: expected shape [n] with n = 100 (from `x`), found [99]"),
        ("StochasticEnsemble", {"paths": np.zeros((2, 3))}, "StochasticEnsemble needs field `t` of shape [n], found none"),
        ("Solution2D", {"values": np.zeros(5)}, "Solution2D field `values`: expected shape [y, x], found [5]"),
        ("PhysicsAnimation", {"positions": np.zeros((4, 3, 3))},
         "PhysicsAnimation field `positions`: expected shape [f, b, 2], found [4, 3, 3]"),
    ]
    for result_type, data, message in cases:
        with pytest.raises(InvalidData) as error:
            storage.add_result(run.id, result_type, data)
        assert str(error.value) == message
    with pytest.raises(InvalidData, match="field name '../x'"):
        storage.add_result(run.id, "Custom", {"../x": 1})
    with pytest.raises(InvalidData, match="expected a status of running, completed or failed, found 'done'"):
        storage.set_status(run.id, "done")
    with pytest.raises(InvalidData, match="`display` must be a JSON object"):
        storage.add_result(run.id, "Custom", {"a": 1}, display=[1, 2])
    with pytest.raises(NotFound):
        storage.add_result("00000000-0000-4000-8000-000000000000", "Custom", {"a": 1})
    # Either form of a PhysicsAnimation, and unknown types, are stored.
    storage.add_result(run.id, "PhysicsAnimation", {"frames": np.zeros((2, 3, 4)), "t": [0, 1]})
    storage.add_result(run.id, "MyOwnType", {"anything": {"nested": [1, "two"]}})
    assert len(storage.get_run(run.id).results) == 2
    assert len(list((tmp_path / "s" / "results").iterdir())) == 2, "refused results leave no file"


def _writer(args):
    root, run_id, count = args
    storage = AsgardStorage(root, inline_threshold=10)
    for i in range(count):
        storage.add_result(run_id, "Solution1D", {"x": np.arange(20.0), "computed": np.full(20, float(i))})


def test_several_processes_write_into_one_run(tmp_path):
    """Eight Python processes and two Rust ones (`asgard append`) into one run at once: the lock is shared."""
    root = tmp_path / "s"
    run = AsgardStorage(root).create_run("contended")
    rust = [
        subprocess.Popen([ASGARD, "append", "--storage", str(root), "--into", run.id, "--count", "40"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    with multiprocessing.get_context("fork").Pool(8) as pool:
        pool.map(_writer, [(root, run.id, 40)] * 8)
    for writer in rust:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    storage = AsgardStorage(root)
    results = storage.get_run(run.id).results
    assert len(results) == 400 and len(set(results)) == 400
    for rid in results:
        assert storage.get_result(rid).result_type == "Solution1D"
    assert not any(p.name.startswith(".tmp-") for p in root.rglob("*"))


def _all_six(storage, run_id):
    """One result of each type, mixing .npy files (several dtypes) and inline fields."""
    rng = np.random.default_rng(7)
    x = np.linspace(0, 1, 1500)
    storage.add_result(run_id, "Solution1D", {"x": x, "computed": np.sin(x), "expected": [float(v) for v in np.sin(x)]})
    storage.add_result(run_id, "Solution2D", {"values": rng.normal(size=(40, 50)).astype(np.float32),
                                              "x": np.arange(50), "y": np.arange(40.0)}, {"colormap": "magma"})
    storage.add_result(run_id, "StochasticEnsemble", {"t": np.linspace(0, 1, 100), "paths": rng.normal(size=(30, 100))})
    storage.add_result(run_id, "DiscreteSequence", {"values": np.arange(2000, dtype=np.int64) % 7,
                                                    "index": np.arange(2000, dtype=np.int32)})
    storage.add_result(run_id, "OptimizationResult", {"loss": np.geomspace(1, 1e-6, 1200), "params": rng.normal(size=(1200, 2)),
                                                      "param_names": ["w", "b"], "step": list(range(1200))})
    storage.add_result(run_id, "PhysicsAnimation", {"positions": rng.normal(size=(300, 3, 2)), "t": np.linspace(0, 3, 300)})
    storage.add_result(run_id, "Custom", {"mask": np.array([True, False] * 600), "levels": np.arange(1100, dtype=np.uint8) % 200,
                                          "note": "text stays text", "nan": [1.0, float("nan")]})


def _same(python_value, rust_field):
    if "json" in rust_field:
        assert python_value == rust_field["json"]
        return
    array = np.asarray(python_value)
    assert list(array.shape) == rust_field["shape"]
    expected = np.asarray([np.nan if v is None else v for v in rust_field["values"]], dtype=np.float64)
    assert np.array_equal(array.astype(np.float64).ravel(), expected, equal_nan=True)
    assert array.dtype.str == rust_field["dtype"]


def test_python_writes_and_rust_reads_the_same_values_shapes_and_dtypes(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("from python", equation="∂u/∂t = Δu", metadata={"seed": 7})
    _all_six(storage, run.id)
    dump = rust_dump(tmp_path / "s")
    [rust_run] = dump["runs"]
    assert rust_run["name"] == "from python" and rust_run["equation"] == "∂u/∂t = Δu"
    assert rust_run["results"] == storage.get_run(run.id).results
    for rid in rust_run["results"]:
        mine = storage.get_result(rid)
        theirs = dump["results"][rid]
        assert theirs["result_type"] == mine.result_type and theirs["display"] == mine.display
        assert set(theirs["data"]) == set(mine.data)
        for name, value in mine.data.items():
            _same(value, theirs["data"][name])
    dtypes = {f["dtype"] for r in dump["results"].values() for f in r["data"].values() if "dtype" in f}
    assert {"<f8", "<f4", "<i8", "<i4", "|b1", "|u1"} <= dtypes


def test_rust_writes_and_python_reads_the_same_values_shapes_and_dtypes(tmp_path):
    subprocess.run([ASGARD, "example", "--all", "--storage", str(tmp_path / "s")], check=True, capture_output=True)
    dump = rust_dump(tmp_path / "s")
    storage = AsgardStorage(tmp_path / "s")
    assert len(storage.list_runs()) == len(dump["runs"]) >= 15
    types = set()
    for rid, theirs in dump["results"].items():
        mine = storage.get_result(rid)
        types.add(mine.result_type)
        assert set(mine.data) == set(theirs["data"])
        for name, value in mine.data.items():
            _same(value, theirs["data"][name])
    assert set(asgard_storage.KNOWN_RESULT_TYPES) <= types


def test_the_monitor_serves_a_storage_written_only_by_python(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("python only")
    _all_six(storage, run.id)
    storage.set_status(run.id, "completed")
    monitor = subprocess.Popen([ASGARD, "monitor", "--storage", str(tmp_path / "s"), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = monitor.stdout.readline()
        url = line.split("http://")[1].split()[0].rstrip("/")
        with urllib.request.urlopen(f"http://{url}/api/runs", timeout=10) as r:
            [row] = json.load(r)
        assert row["name"] == "python only" and row["result_count"] == 7 and row["status"] == "completed"
        assert "problem" not in row
        with urllib.request.urlopen(f"http://{url}/api/run?id={run.id}", timeout=10) as r:
            detail = json.load(r)
        assert [r.get("error") for r in detail["results"]] == [None] * 7
        with urllib.request.urlopen(f"http://{url}/run/{run.id}", timeout=10) as r:
            assert "python only" in r.read().decode()
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)


# Everyday data (tests/fixtures/everyday.py): files written with plain NumPy and `json`, no Asgard code.
FIXTURES = ROOT / "tests" / "fixtures"


def test_the_committed_everyday_fixtures_are_what_the_script_writes(tmp_path):
    subprocess.run([sys.executable, str(FIXTURES / "everyday.py"), str(tmp_path / "everyday")], check=True)
    committed = FIXTURES / "everyday"
    written = sorted(p.relative_to(tmp_path / "everyday") for p in (tmp_path / "everyday").rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
    for rel in written:
        assert (tmp_path / "everyday" / rel).read_bytes() == (committed / rel).read_bytes(), rel


def test_the_monitor_gives_python_nan_and_infinity_back_as_they_were_written(tmp_path):
    shutil.copytree(FIXTURES / "everyday", tmp_path / "s")
    [run] = [r for r in AsgardStorage(tmp_path / "s").list_runs() if r.name.startswith("diverging")]
    monitor = subprocess.Popen([ASGARD, "monitor", "--storage", str(tmp_path / "s"), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = monitor.stdout.readline().split("http://")[1].split()[0].rstrip("/")
        with urllib.request.urlopen(f"http://{url}/api/run?id={run.id}", timeout=10) as r:
            detail = json.load(r)  # Python's json reads NaN and Infinity as floats
        assert math.isnan(detail["metadata"]["final_loss"]) and detail["metadata"]["upper_bound"] == math.inf
        [solution] = [r for r in detail["results"] if r["result_type"] == "Solution1D"]
        computed = np.asarray(solution["data"]["computed"], dtype=np.float64)
        with open(tmp_path / "s" / "results" / f"{solution['id']}.json") as f:
            written = np.asarray(json.load(f)["data"]["computed"], dtype=np.float64)
        assert np.array_equal(computed, written, equal_nan=True)
        assert np.isnan(computed[3]) and computed[5] == np.inf and computed[7] == -np.inf
        # Strict JSON on request: the strings NumPy converts back.
        with urllib.request.urlopen(f"http://{url}/api/result?id={solution['id']}&nonfinite=string", timeout=10) as r:
            strict = json.loads(r.read(), parse_constant=lambda word: pytest.fail(f"bare {word} in strict JSON"))
        assert np.array_equal(np.asarray(strict["data"]["computed"], dtype=np.float64), written, equal_nan=True)
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)


def test_a_run_written_with_nan_metadata_by_json_dump_takes_results_and_keeps_it(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("hand edited")
    path = tmp_path / "s" / "runs" / f"{run.id}.json"
    record = json.loads(path.read_text())
    record["metadata"] = {"residual": float("nan"), "bound": float("-inf")}
    path.write_text(json.dumps(record))
    storage.add_result(run.id, "Solution1D", {"x": [0.0, 1.0], "computed": [1.0, 2.0]})
    storage.set_status(run.id, "completed")
    again = storage.get_run(run.id)
    assert math.isnan(again.metadata["residual"]) and again.metadata["bound"] == -math.inf
    assert len(again.results) == 1 and again.status == "completed"
    assert [r["metadata"] for r in rust_dump(tmp_path / "s")["runs"]][0]["bound"] == -math.inf


def test_tags_note_and_star_round_trip_with_the_rust_reader_and_survive_concurrent_appends(tmp_path):
    root = tmp_path / "s"
    storage = AsgardStorage(root)
    run = storage.create_run("sweep point", tags=[" baseline ", "baseline", "dt-sweep"])
    assert storage.get_run(run.id).tags == ["baseline", "dt-sweep"]
    # Tags added while a Rust process appends results: neither is lost (the same run lock).
    rust = subprocess.Popen([ASGARD, "append", "--storage", str(root), "--into", run.id, "--count", "40"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for i in range(20):
        storage.add_tags(run.id, [f"t{i}"])
    assert rust.wait(timeout=120) == 0, rust.stderr.read()
    storage.remove_tags(run.id, ["dt-sweep"])
    storage.set_note(run.id, "diverges for dt > 1e-3")
    storage.set_starred(run.id)
    mine = storage.get_run(run.id)
    assert mine.tags == ["baseline"] + [f"t{i}" for i in range(20)]
    assert len(mine.results) == 40
    [theirs] = rust_dump(root)["runs"]
    assert theirs["tags"] == mine.tags and theirs["note"] == mine.note and theirs["starred"] is True
    # A run without any of them is written without the keys, as the Rust writer does (older readers see no change).
    plain = storage.create_run("plain")
    assert not {"tags", "note", "starred"} & set(json.loads((root / "runs" / f"{plain.id}.json").read_text()))


def test_bad_tags_and_notes_are_refused_with_the_rust_messages(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("r")
    for call, message in [
        (lambda: storage.add_tags(run.id, ["  "]), "a tag cannot be empty"),
        (lambda: storage.add_tags(run.id, ["x" * 65]), "longer than 64 characters"),
        (lambda: storage.add_tags(run.id, ["a\x07b"]), "control character"),
        (lambda: storage.set_tags(run.id, "one"), "a list of text"),
        (lambda: storage.set_tags(run.id, [f"t{i}" for i in range(65)]), "at most 64 tags"),
        (lambda: storage.set_note(run.id, "n" * 4001), "at most 4000"),
    ]:
        with pytest.raises(InvalidData, match=message):
            call()
    assert storage.get_run(run.id).tags == []


def test_statistics_are_written_with_each_result_and_the_monitor_computes_the_same_for_older_files(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("statistics")
    _all_six(storage, run.id)
    rng = np.random.default_rng(3)
    x = np.linspace(0, 1, 3000)
    noise = rng.normal(scale=1e-3, size=x.size)
    storage.add_result(run.id, "Solution1D", {"x": x, "computed": np.sin(x) + noise, "expected": np.sin(x)})
    storage.add_result(run.id, "DiscreteSequence", {"values": [1.0, 2.0, float("nan")], "expected": [1, 2, 3]})
    storage.add_result(run.id, "DiscreteSequence", {"values": np.arange(10.0), "expected": np.arange(10.0)[::-1]})
    storage.add_result(run.id, "PhysicsAnimation", {"frames": rng.normal(size=(13, 4, 4))}, {"fps": 4})
    written = storage.get_run(run.id)
    assert list(written.stats) == written.results
    [s1, s2, ens, seq, opt, anim, custom, noisy, nan_seq, reversed_seq, fps_anim] = [written.stats[r] for r in written.results]
    assert s1 == {"type": "Solution1D", "error.max": 0.0, "error.rms": 0.0}
    assert noisy["error.max"] == pytest.approx(np.max(np.abs(noise)), rel=1e-9)
    assert noisy["error.rms"] == pytest.approx(np.sqrt(np.mean(noise**2)), rel=1e-6)
    assert nan_seq == {"type": "DiscreteSequence", "error.max": None, "error.rms": None}
    assert reversed_seq["error.max"] == 9.0
    assert opt["loss.final"] == pytest.approx(1e-6) and opt["loss.min"] == pytest.approx(1e-6) and opt["loss.steps"] == 1200
    assert ens["ensemble.paths"] == 30 and s2["type"] == "Solution2D" and "field.mean" in s2
    assert anim["animation.frames"] == 300 and anim["animation.duration"] == pytest.approx(3.0)
    assert fps_anim == {"type": "PhysicsAnimation", "animation.frames": 13, "animation.duration": 3.0}
    assert custom == {"type": "Custom"} and seq == {"type": "DiscreteSequence"}
    result_file = json.loads((tmp_path / "s" / "results" / f"{written.results[7]}.json").read_text())
    assert result_file["stats"] == {k: v for k, v in noisy.items() if k != "type"}

    # Files without statistics, as an older writer leaves them: the Rust reader computes the same numbers as
    # Python's (`asgard dump` prints them), and the monitor computes them in the background for its queries
    # without ever rewriting the run file.
    for path in list((tmp_path / "s" / "runs").glob("*.json")) + list((tmp_path / "s" / "results").glob("*.json")):
        record = json.loads(path.read_text())
        record.pop("stats", None)
        path.write_text(json.dumps(record))
    assert storage.get_run(run.id).stats == {}
    run_file = (tmp_path / "s" / "runs" / f"{run.id}.json").read_bytes()
    dumped = json.loads(subprocess.run([ASGARD, "dump", "--storage", str(tmp_path / "s")],
                                       check=True, capture_output=True, text=True).stdout)
    for rid, mine in written.stats.items():
        theirs = dumped["results"][rid]["stats"]
        assert set(theirs) == set(mine), (mine, theirs)
        for name, value in mine.items():
            if value is None or isinstance(value, str):
                assert theirs[name] == value, (name, mine, theirs)
            else:
                assert theirs[name] == pytest.approx(value, rel=1e-9, abs=1e-15), (name, mine, theirs)
    monitor = subprocess.Popen([ASGARD, "monitor", "--storage", str(tmp_path / "s"), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = monitor.stdout.readline().split("http://")[1].split()[0].rstrip("/")
        def names(q):
            with urllib.request.urlopen(f"http://{url}/api/runs?q={urllib.parse.quote(q)}", timeout=10) as r:
                return [row["name"] for row in json.load(r)]
        deadline = time.time() + 30
        while names("loss.steps = 1200") != ["statistics"] and time.time() < deadline:
            time.sleep(0.05)
        # One result's error is NaN, so the run's is not a number: it matches no comparison.
        for q, found in [("has(PhysicsAnimation) AND loss.steps = 1200", ["statistics"]), ("error.max >= 0", [])]:
            assert names(q) == found, q
        assert (tmp_path / "s" / "runs" / f"{run.id}.json").read_bytes() == run_file, "the monitor rewrote the run file"
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)
