"""Growing results (docs/storage-format.md, "Growing results"): appends from Python and from a Rust process,
readers that never see half an append, a killed writer's result, chunks written by plain json and NumPy, and
run progress."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from asgard_storage import AsgardStorage, InvalidData

ROOT = Path(__file__).resolve().parents[3]
ASGARD = os.environ.get("ASGARD_BIN", str(ROOT / "target" / "debug" / "asgard"))


def rust_dump(path):
    out = subprocess.run([ASGARD, "dump", "--storage", str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def chunk_files(root, result_id):
    return sorted(p.name for p in (Path(root) / "files").iterdir() if p.name.startswith(f"{result_id}_chunk-"))


def test_an_optimisation_grows_reads_as_far_as_written_and_closes_into_an_ordinary_result(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("descent")
    series = storage.open_result(run.id, "OptimizationResult", {"param_names": ["a", "b"]}, {"title": "loss"})
    # Listed in its run at once, open, with no rows yet.
    assert storage.get_run(run.id).results == [series.id]
    opened = storage.get_result(series.id)
    assert opened.growing["open"] is True and "loss" not in opened.data

    for step in range(5):
        series.append(step=step, loss=1.0 / (step + 1), params=[step, -step])
    series.flush()
    so_far = storage.get_result(series.id)
    np.testing.assert_array_equal(so_far.data["loss"], 1.0 / np.arange(1, 6))
    assert so_far.data["params"].shape == (5, 2)
    assert chunk_files(tmp_path / "s", series.id), "rows are chunk files until closed"

    series.append(step=5, loss=1 / 6, params=[5, -5])
    series.close()
    closed = storage.get_result(series.id)
    assert closed.growing is None
    np.testing.assert_array_equal(closed.data["step"], np.arange(6))
    np.testing.assert_array_equal(closed.data["params"][:, 1], -np.arange(6))
    assert chunk_files(tmp_path / "s", series.id) == []
    # Statistics as for any result, in the run file too.
    entry = storage.get_run(run.id).stats[series.id]
    assert entry["type"] == "OptimizationResult" and entry["loss.steps"] == 6
    assert entry["loss.final"] == pytest.approx(1 / 6)
    # The Rust reader sees the same closed result.
    dumped = rust_dump(tmp_path / "s")["results"][series.id]
    assert dumped["data"]["loss"]["shape"] == [6]


def test_ten_thousand_fast_appends_make_few_chunks_and_lose_nothing(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("fast")
    series = storage.open_result(run.id, "OptimizationResult", flush_interval=0.1)
    start = time.monotonic()
    for step in range(10_000):
        series.append(step=step, loss=float(step))
    elapsed = time.monotonic() - start
    series.flush()
    # Written chunks (older ones are folded and removed as the result grows).
    chunks = storage._read_chunks(series.id)[0]
    # One chunk per interval at most, plus the first append's own (its rows went out at once).
    assert chunks <= 2 + elapsed / 0.1 + 1, (chunks, elapsed)
    np.testing.assert_array_equal(storage.get_result(series.id).data["loss"], np.arange(10_000))
    series.close()


def test_a_slow_appender_is_written_at_once_and_a_quiet_buffer_is_flushed_by_the_thread(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("slow")
    series = storage.open_result(run.id, "DiscreteSequence", flush_interval=0.05)
    series.append(values=1.0)
    # The first append after a quiet interval is written by the call itself.
    assert len(chunk_files(tmp_path / "s", series.id)) == 1
    series.append(values=2.0)
    series.append(values=3.0)
    deadline = time.monotonic() + 5
    while len(storage.get_result(series.id).data.get("values", [])) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    np.testing.assert_array_equal(storage.get_result(series.id).data["values"], [1, 2, 3])
    series.close()


def test_every_append_names_the_same_fields_with_rows_of_one_shape(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("checks")
    with storage.open_result(run.id, "OptimizationResult") as series:
        series.append(loss=1.0, params=[1, 2])
        with pytest.raises(InvalidData, match="expected a row of shape \\[2\\] as before, found \\[3\\]"):
            series.append(loss=0.5, params=[1, 2, 3])
        with pytest.raises(InvalidData, match="same fields"):
            series.append(loss=0.5)
        with pytest.raises(InvalidData, match="same number of rows"):
            series.extend(loss=[0.5, 0.4], params=[[1, 2]])
        series.extend(loss=[0.5, 0.4], params=[[1, 2], [3, 4]])
    result = storage.get_result(series.id)
    assert result.growing is None and result.data["params"].shape == (3, 2)


def test_a_failure_inside_the_block_keeps_the_rows_and_leaves_the_result_open(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("fails")
    with pytest.raises(RuntimeError):
        with storage.open_result(run.id, "DiscreteSequence", flush_interval=10) as series:
            for v in range(4):
                series.append(values=float(v))
            raise RuntimeError("diverged")
    result = storage.get_result(series.id)
    assert result.growing["open"] is True
    np.testing.assert_array_equal(result.data["values"], [0, 1, 2, 3])


def test_ensembles_gather_paths_and_fields_gather_snapshots(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("snapshots")
    t = np.linspace(0, 1, 50)
    with storage.open_result(run.id, "StochasticEnsemble", {"t": t}) as paths:
        for seed in range(7):
            paths.append(paths=np.random.default_rng(seed).normal(size=50).cumsum())
    assert storage.get_result(paths.id).data["paths"].shape == (7, 50)
    with storage.open_result(run.id, "Solution2D", {"x": np.arange(4.0), "y": np.arange(3.0)}) as field:
        for k in range(5):
            field.append(values=np.full((3, 4), float(k)), t=0.1 * k)
    result = storage.get_result(field.id)
    assert result.data["values"].shape == (5, 3, 4) and result.data["t"].shape == (5,)


def test_readers_never_see_half_an_append(tmp_path):
    """A reader that reads while a writer appends sees, every time, whole appends: every field with the same
    rows, each row as written."""
    storage = AsgardStorage(tmp_path / "s", inline_threshold=50)
    run = storage.create_run("torn")
    series = storage.open_result(run.id, "OptimizationResult", flush_interval=0.002)
    done = threading.Event()
    seen = []

    def read():
        reader = AsgardStorage(tmp_path / "s")
        while not done.is_set():
            data = reader.get_result(series.id).data
            loss, params = data.get("loss", np.zeros(0)), data.get("params", np.zeros((0, 3)))
            assert len(loss) == len(params)
            np.testing.assert_array_equal(loss, np.arange(len(loss)))
            np.testing.assert_array_equal(params[:, 2], 2 * np.arange(len(loss)))
            seen.append(len(loss))

    reader = threading.Thread(target=read)
    reader.start()
    for step in range(3000):
        series.append(loss=float(step), params=[step, step, 2 * step])
    series.close()
    done.set()
    reader.join()
    assert len(set(seen)) > 3, "the reader saw the result grow"


def test_a_killed_writer_leaves_a_readable_unfinished_result(tmp_path):
    root = tmp_path / "s"
    storage = AsgardStorage(root)
    run = storage.create_run("killed")
    script = f"""
import sys, time
from asgard_storage import AsgardStorage
s = AsgardStorage({str(root)!r})
series = s.open_result({run.id!r}, "OptimizationResult", flush_interval=0.01)
print(series.id, flush=True)
step = 0
while True:
    series.append(step=step, loss=1.0 / (step + 1))
    step += 1
    time.sleep(0.0005)
"""
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "clients" / "python" / "src")})
    result_id = writer.stdout.readline().strip()
    time.sleep(0.5)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    result = storage.get_result(result_id)
    assert result.growing["open"] is True
    steps = result.data["step"]
    assert len(steps) > 10 and len(steps) == len(result.data["loss"])
    np.testing.assert_array_equal(steps, np.arange(len(steps)))
    # The Rust reader reads it the same, as far as it got.
    dumped = rust_dump(root)["results"][result_id]
    assert dumped["data"]["loss"]["shape"] == [len(steps)]


def test_a_rust_process_appends_and_python_reads_along(tmp_path):
    root = tmp_path / "s"
    storage = AsgardStorage(root)
    run = storage.create_run("from rust")
    writer = subprocess.Popen(
        [ASGARD, "append", "--storage", str(root), "--into", run.id, "--grow", "--count", "400",
         "--interval-ms", "2"], stdout=subprocess.PIPE, text=True)
    result_id = writer.stdout.readline().strip()
    lengths = []
    while writer.poll() is None:
        data = storage.get_result(result_id).data
        if "loss" in data:
            assert len(data["loss"]) == len(data["step"]) == len(data["params"])
            lengths.append(len(data["loss"]))
        time.sleep(0.02)
    assert writer.wait() == 0
    assert len(set(lengths)) > 2, lengths
    closed = storage.get_result(result_id)
    assert closed.growing is None
    np.testing.assert_allclose(closed.data["loss"], 1 / (1 + np.arange(400) / 100))
    progress = storage.get_run(run.id).progress
    assert progress["fraction"] == 1.0 and progress["message"] == "step 400 of 400"


def test_chunks_written_with_plain_json_and_numpy_are_read(tmp_path):
    """Another tool needs no Asgard code to grow a result: a result file marked open, then chunk files."""
    root = tmp_path / "s"
    storage = AsgardStorage(root)
    run = storage.create_run("by hand")
    rid = "0b8f6a1e-5f3c-4f43-9a52-0d3c5e2b7a10"
    (root / "results" / f"{rid}.json").write_text(json.dumps({
        "id": rid, "run_id": run.id, "result_type": "Solution1D", "timestamp": "2026-12-01T00:00:00Z",
        "data": {}, "display": {}, "growing": {"open": True}}))
    np.save(root / "files" / f"{rid}_x-00000001.npy", np.arange(3.0, 6.0))
    chunks = [
        {"x": [0.0, 1.0, 2.0], "computed": [0.0, 1.0, 4.0]},
        {"x": {"$npy": f"{rid}_x-00000001.npy", "shape": [3], "dtype": "<f8"}, "computed": [9, 16, 25]},
    ]
    for seq, data in enumerate(chunks):
        (root / "files" / f"{rid}_chunk-{seq:08d}.json").write_text(json.dumps(
            {"result_id": rid, "seq": seq, "timestamp": "2026-12-01T00:00:01Z", "rows": 3, "data": data}))
    # Chunk 3 without chunk 2: not read (a reader stops at the first missing one).
    (root / "files" / f"{rid}_chunk-00000003.json").write_text(json.dumps(
        {"result_id": rid, "seq": 3, "timestamp": "2026-12-01T00:00:01Z", "rows": 1,
         "data": {"x": [99], "computed": [99]}}))
    storage._update_run(run.id, lambda r: r.results.append(rid))
    np.testing.assert_array_equal(storage.get_result(rid).data["computed"], np.arange(6.0) ** 2)
    dumped = rust_dump(root)["results"][rid]
    assert dumped["data"]["x"]["values"] == [0, 1, 2, 3, 4, 5]


def test_long_results_are_folded_and_both_sides_read_the_folds(tmp_path):
    """Every 64 chunks make a fold; the chunks a fold holds are removed one fold later; close leaves only the
    result's own arrays."""
    root = tmp_path / "s"
    storage = AsgardStorage(root, inline_threshold=4)
    run = storage.create_run("folds")
    series = storage.open_result(run.id, "OptimizationResult")
    rid, chunks, rows = series.id, 2 * 64 + 3, 0
    for k in range(chunks):
        steps = np.arange(rows, rows + 1 + k % 3, dtype=float)
        series.extend(step=steps, loss=steps, params=np.stack([steps, -steps], axis=1))
        series.flush()
        rows += len(steps)
    # The Series folds from its thread: the second fold, then the removal of what the first holds.
    deadline = time.monotonic() + 10
    while True:
        names = set(os.listdir(root / "files"))
        if f"{rid}_fold1-00000064.json" in names and f"{rid}_chunk-00000000.json" not in names:
            break
        assert time.monotonic() < deadline, sorted(names)
        time.sleep(0.02)
    assert {f"{rid}_fold1-00000000.json", f"{rid}_fold1-00000064.json", f"{rid}_chunk-00000064.json"} <= names
    assert f"{rid}_chunk-00000000.json" not in names and f"{rid}_params-00000002.npy" not in names
    data = storage.get_result(rid).data
    np.testing.assert_array_equal(data["loss"], np.arange(rows))
    np.testing.assert_array_equal(data["params"][:, 1], -np.arange(rows))
    assert storage._read_chunks(rid)[0] == chunks
    assert rust_dump(root)["results"][rid]["data"]["loss"]["values"] == list(range(rows))
    series.close()
    left = sorted(n for n in os.listdir(root / "files") if n.startswith(rid))
    assert left == [f"{rid}_loss.npy", f"{rid}_params.npy", f"{rid}_step.npy"]
    np.testing.assert_array_equal(storage.get_result(rid).data["params"][:, 0], np.arange(rows))


def test_a_fold_written_with_plain_json_and_numpy_is_read_by_both_sides(tmp_path):
    """A fold by another tool: 64 chunks' rows in one record, the chunks themselves gone."""
    root = tmp_path / "s"
    storage = AsgardStorage(root)
    run = storage.create_run("fold by hand")
    rid = "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
    (root / "results" / f"{rid}.json").write_text(json.dumps({
        "id": rid, "run_id": run.id, "result_type": "Solution1D", "timestamp": "2026-12-01T00:00:00Z",
        "data": {}, "display": {}, "growing": {"open": True}}))
    # 64 chunks of two rows each: rows 0 … 127.
    np.save(root / "files" / f"{rid}_fold1-00000000_x.npy", np.arange(128.0))
    (root / "files" / f"{rid}_fold1-00000000.json").write_text(json.dumps({
        "result_id": rid, "level": 1, "start": 0, "end": 64, "chunk_rows": [2] * 64,
        "timestamp": "2026-12-01T00:00:01Z",
        "data": {"x": {"$npy": f"{rid}_fold1-00000000_x.npy", "shape": [128], "dtype": "<f8"},
                 "computed": [2.0 * i for i in range(128)]}}))
    (root / "files" / f"{rid}_chunk-00000064.json").write_text(json.dumps(
        {"result_id": rid, "seq": 64, "timestamp": "2026-12-01T00:00:02Z", "rows": 1,
         "data": {"x": [128], "computed": [256]}}))
    storage._update_run(run.id, lambda r: r.results.append(rid))
    np.testing.assert_array_equal(storage.get_result(rid).data["computed"], 2 * np.arange(129.0))
    assert storage._read_chunks(rid)[0] == 65
    dumped = rust_dump(root)["results"][rid]
    assert dumped["data"]["x"]["values"] == list(range(129))
    assert dumped["data"]["computed"]["values"] == [2 * i for i in range(129)]


def test_progress_is_kept_checked_and_read_by_the_rust_side(tmp_path):
    storage = AsgardStorage(tmp_path / "s")
    run = storage.create_run("progress")
    storage.set_progress(run.id, 0.25, "integrating")
    got = storage.get_run(run.id).progress
    assert got["fraction"] == 0.25 and got["message"] == "integrating" and got["at"]
    with pytest.raises(InvalidData, match="fraction from 0 to 1"):
        storage.set_progress(run.id, 1.5)
    storage.set_tags(run.id, ["kept"])
    assert storage.get_run(run.id).progress["fraction"] == 0.25, "another change keeps the progress"
    [dumped] = [r for r in rust_dump(tmp_path / "s")["runs"] if r["id"] == run.id]
    assert dumped["progress"]["fraction"] == 0.25


def test_the_series_folds_from_its_thread(tmp_path):
    """A Series writes chunks at once and folds them from its thread: the folds appear, the chunks they hold go."""
    root = tmp_path / "s"
    storage = AsgardStorage(root)
    run = storage.create_run("series folds")
    series = storage.open_result(run.id, "OptimizationResult", flush_interval=0.0)
    for step in range(130):
        series.append(step=step, loss=float(step))
    series.flush()
    files = lambda: set(os.listdir(root / "files"))  # noqa: E731
    deadline = time.monotonic() + 10
    while not (f"{series.id}_fold1-00000064.json" in files() and f"{series.id}_chunk-00000000.json" not in files()):
        assert time.monotonic() < deadline, sorted(files())
        time.sleep(0.02)
    assert f"{series.id}_fold1-00000000.json" in files()
    np.testing.assert_array_equal(storage.get_result(series.id).data["loss"], np.arange(130))
    series.close()
