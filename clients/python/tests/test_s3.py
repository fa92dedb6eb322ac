"""The Python writer on S3 (the optional obstore extra) against a real S3-compatible server, moto, started on a
free loopback port: the seed's snippet unchanged with an ``s3://`` path, the Rust reader and writer on the same
bucket, and Python and Rust writers into one run at once (no lock: each result is an entry created once)."""

import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from asgard_storage import AsgardStorage

from test_storage import ASGARD, _all_six, _same

MOTO = Path(sys.executable).parent / "moto_server"


@pytest.fixture(scope="module")
def moto():
    """A moto server, and the standard variables that point writers at it."""
    assert MOTO.is_file(), f"{MOTO} is missing: run scripts/setup.sh (it installs clients/python/requirements-s3.txt)"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline, "moto did not start within 30 s"
            time.sleep(0.1)
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield port
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.terminate()
        server.wait(timeout=10)


def bucket(port, name):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("PUT", f"/{name}", body=b"")
    assert connection.getresponse().status == 200
    return name


def rust_dump(location):
    out = subprocess.run([ASGARD, "dump", "--storage", location], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_the_seed_snippet_runs_unchanged_on_s3(moto):
    bucket(moto, "seed-bucket")
    x_values = np.linspace(0, 1, 5000)
    y_values = x_values**2
    # The seed's documentation, verbatim but for the path:
    from gimle.asgard.monitor.storage import AsgardStorage
    storage = AsgardStorage("s3://seed-bucket/my-results")
    run = storage.create_run(name="My Simulation", equation="int(f, x) = g")
    storage.add_result(run_id=run.id, result_type="Solution1D",
                       data={"x": x_values, "computed": y_values},
                       display={"title": "My Plot", "labels": {"x": "x", "y": "f(x)"}})
    storage.set_status(run.id, "completed")
    runs = storage.list_runs()
    # What it wrote, read by Python and by Rust:
    assert [r.name for r in runs] == ["My Simulation"]
    mine = storage.get_run(run.id)
    assert mine.status == "completed" and len(mine.results) == 1
    result = storage.get_result(mine.results[0])
    assert np.array_equal(result.data["computed"], y_values)
    dump = rust_dump("s3://seed-bucket/my-results")
    [rust_run] = dump["runs"]
    assert rust_run["results"] == mine.results and rust_run["status"] == "completed"
    _same(y_values, dump["results"][mine.results[0]]["data"]["computed"])


def test_python_writes_and_rust_reads_all_six_types_on_s3_and_back(moto):
    bucket(moto, "six-types")
    storage = AsgardStorage("s3://six-types/p")
    run = storage.create_run("from python", metadata={"seed": 7})
    _all_six(storage, run.id)
    storage.add_tags(run.id, ["baseline"])
    dump = rust_dump("s3://six-types/p")
    [rust_run] = dump["runs"]
    assert rust_run["results"] == storage.get_run(run.id).results and rust_run["tags"] == ["baseline"]
    for rid in rust_run["results"]:
        mine = storage.get_result(rid)
        for name, value in mine.data.items():
            _same(value, dump["results"][rid]["data"][name])
    # Rust writes into the same bucket; Python reads it.
    subprocess.run([ASGARD, "example", "basic/01_integration.yaml", "--storage", "s3://six-types/p"],
                   check=True, capture_output=True)
    names = sorted(r.name for r in storage.list_runs())
    assert len(names) == 2 and "from python" in names
    rust_written = next(r for r in storage.list_runs() if r.name != "from python")
    assert rust_written.results and all(storage.get_result(rid).data for rid in rust_written.results)
    # Deleting a run removes every object of it.
    storage.delete_run(run.id)
    assert [r.id for r in storage.list_runs()] == [rust_written.id]
    assert [r["id"] for r in rust_dump("s3://six-types/p")["runs"]] == [rust_written.id]


def _writer(args):
    location, run_id, count = args
    storage = AsgardStorage(location)
    for i in range(count):
        storage.add_result(run_id, "DiscreteSequence", {"values": [float(os.getpid()), float(i)]})


def test_python_and_rust_writers_into_one_run_on_s3_each_result_once(moto):
    bucket(moto, "contended")
    location = "s3://contended/runs"
    storage = AsgardStorage(location)
    run = storage.create_run("contended")
    rust = [
        subprocess.Popen([ASGARD, "append", "--storage", location, "--into", run.id, "--count", "15"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.map(_writer, [(location, run.id, 15)] * 4)
    for writer in rust:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    read = storage.get_run(run.id)
    assert len(read.results) == 90 and len(set(read.results)) == 90
    # (Concurrent changes of the run file itself, compare-and-swap, are tested on an atomic in-memory store in
    # tests/integration/bucket.rs: moto's compare-and-swap is not atomic under races.)
    assert rust_dump(location)["runs"][0]["results"] == read.results


def test_without_obstore_the_message_says_what_to_install(moto, monkeypatch):
    monkeypatch.setitem(sys.modules, "obstore", None)
    with pytest.raises(ImportError, match=r'pip install "asgard-storage\[s3\]"'):
        AsgardStorage("s3://anything/p")


def test_a_growing_result_on_s3_announces_each_chunk_and_reads_the_same_in_rust(moto):
    bucket(moto, "grow-bucket")
    storage = AsgardStorage("s3://grow-bucket/live")
    run = storage.create_run("growing on s3")
    series = storage.open_result(run.id, "OptimizationResult")
    for step in range(3):
        series.append(step=step, loss=1.0 / (1 + step))
        series.flush()
    # Each chunk announced with its result and number: a monitor publishes the append from the key alone.
    keys = storage._bucket.list("journal/")
    chunks = sorted(k.rsplit("-chunk-", 1)[1] for k in keys if "-chunk-" in k)
    assert chunks == [f"{series.id}-{seq:08d}" for seq in range(3)], keys
    # Rust reads the open result as far as it was written, then closed.
    dumped = rust_dump("s3://grow-bucket/live")["results"][series.id]
    assert dumped["data"]["loss"]["values"] == [1.0, 0.5, 1.0 / 3]
    series.close()
    assert rust_dump("s3://grow-bucket/live")["results"][series.id]["data"]["step"]["values"] == [0, 1, 2]
