"""The wheel where no Rust is (issue 17): installed into a new virtual environment, and into a uv project that
depends on it by path, each running the seed's commands verbatim in a temporary directory with no `target/`
anywhere near, and each dashboard checked over HTTP (the run list, a run page, and the WASM and JS it loads).

Run by scripts/test.sh after scripts/wheel.sh: ``ASGARD_WHEEL=dist/asgard_monitor-….whl pytest tests/wheel``.
The commands listen on the ports the seed's commands name (8000, 8080): those must be free.
"""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WHEEL = os.environ.get("ASGARD_WHEEL", "")
UV = os.environ.get("ASGARD_UV") or shutil.which("uv") or str(Path(sys.executable).parent / "uv")

# The seed's storage snippet, as its users write it.
SNIPPET = """\
from gimle.asgard.monitor.storage import AsgardStorage
import numpy as np

storage = AsgardStorage("./my-results")
run = storage.create_run(name="My Simulation", equation="int(f, x) = g")
x = np.linspace(0, 1, 10_000)
result = storage.add_result(run_id=run.id, result_type="Solution1D",
                            data={"x": x, "computed": np.sin(x)},
                            display={"title": "My Plot", "labels": {"x": "x", "y": "f(x)"}})
storage.set_status(run.id, "completed")
print(run.id)
"""

BASIC = len(list((REPO / "examples" / "basic").glob("*.yaml")))
STOCHASTIC = len(list((REPO / "examples" / "stochastic").glob("*.yaml")))


@pytest.fixture(scope="module")
def wheel() -> Path:
    path = Path(WHEEL)
    assert WHEEL and path.is_file(), "ASGARD_WHEEL must name the wheel scripts/wheel.sh built"
    assert re.search(r"-py3-none-(manylinux|linux)", path.name), f"a platform wheel with a binary: {path.name}"
    return path.resolve()


def away_from_target(tmp_path: Path) -> Path:
    """A working directory with no `target/` in it or above it: nothing of a build to lean on."""
    work = tmp_path / "work"
    work.mkdir()
    for folder in [work, *work.parents]:
        assert not (folder / "target").exists(), f"{folder}/target exists"
    return work


def run(args, cwd: Path, env: dict, timeout=600) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


# Every serving process a test started: killed after the test, whatever happened in it.
STARTED: "list[subprocess.Popen]" = []


@pytest.fixture(autouse=True)
def no_process_left():
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


class Served:
    """A command that serves the dashboard until told to stop (Ctrl-C), its output read as it comes."""

    def __init__(self, args, cwd: Path, env: dict):
        self.args = args
        self.process = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        STARTED.append(self.process)
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout=180.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, f"{self.args} ended:\n{''.join(self.seen)}"
                continue
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"{self.args}: no line matching {pattern!r} in:\n{''.join(self.seen)}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise AssertionError(f"{self.args} did not stop on Ctrl-C")
        assert self.process.returncode == 0, f"{self.args} ended with {self.process.returncode}"


def get(url: str, accept_encoding: str = "identity"):
    request = urllib.request.Request(url, headers={"Accept-Encoding": accept_encoding})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def listing(origin: str, runs: int) -> list:
    """The run list once it holds `runs` runs (the monitor sees a write within moments, not at once)."""
    listed = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = json.loads(get(f"{origin}/api/runs")[2])
        if len(listed) >= runs:
            break
        time.sleep(0.2)
    assert len(listed) == runs, [r["name"] for r in listed]
    return listed


def check_dashboard(origin: str, names: list[str], runs: int):
    """The run list holds `runs` runs among them `names`, and a run's page comes with the front end it loads."""
    listed = listing(origin, runs)
    assert set(names) <= {r["name"] for r in listed}, [r["name"] for r in listed]
    status, _, page = get(f"{origin}/")
    assert status == 200 and names[0] in page.decode(), "the run list names the runs"
    run = next(r for r in listed if r["name"] == names[0])
    status, _, page = get(f"{origin}/run/{run['id']}")
    html = page.decode()
    assert status == 200 and names[0] in html
    scripts = set(re.findall(r'/pkg/[\w.-]+\.(?:js|wasm)', html))
    assert {"/pkg/asgard.js", "/pkg/asgard.wasm"} <= scripts, scripts
    status, headers, wasm = get(f"{origin}/pkg/asgard.wasm")
    assert status == 200 and wasm[:4] == b"\0asm", "the WASM the page hydrates with"
    assert headers["Content-Type"] == "application/wasm"
    status, headers, compressed = get(f"{origin}/pkg/asgard.wasm", "gzip, br")
    assert headers.get("Content-Encoding") == "br" and len(compressed) < len(wasm) / 2
    status, headers, js = get(f"{origin}/pkg/asgard.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"wasm" in js


def seed_commands(work: Path, env: dict, asgard: list, python: list):
    """The seed's commands, as its README writes them, in order; each dashboard checked, then stopped."""
    (work / "snippet.py").write_text(SNIPPET)
    run_id = run([*python, "snippet.py"], work, env).strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", run_id), run_id

    served = Served([*asgard, "monitor", "--storage", "./my-results", "--port", "8080"], work, env)
    origin = served.wait_for(r"(http://[\w.:]+):8080/").group(0).rstrip("/")
    check_dashboard(origin, ["My Simulation"], 1)
    served.stop()

    served = Served([*asgard, "example", "basic/01_integration.yaml", "--monitor"], work, env)
    served.wait_for(r"examples are done")
    origin = "http://127.0.0.1:8000"
    listed = listing(origin, 1)
    check_dashboard(origin, [listed[0]["name"]], 1)
    served.stop()

    served = Served([*asgard, "monitor"], work, env)
    served.wait_for(r"http://[\w.:]+:8000/")
    check_dashboard(origin, [listed[0]["name"]], 1)
    served.stop()

    served = Served([*asgard, "example", "-c", "stochastic", "--monitor"], work, env)
    served.wait_for(r"examples are done")
    check_dashboard(origin, ["Brownian motion", listed[0]["name"]], 1 + STOCHASTIC)
    served.stop()

    served = Served(
        [*asgard, "example", "-c", "basic", "--monitor", "--storage", "./experiment-results"], work, env
    )
    served.wait_for(r"examples are done")
    check_dashboard(origin, [listed[0]["name"]], BASIC)
    served.stop()
    assert (work / "experiment-results" / "runs").is_dir() and (work / "storage" / "runs").is_dir()


def plain_env() -> dict:
    """The environment without anything pointing at this checkout's build."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEPTOS_", "ASGARD_", "VIRTUAL_ENV"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def test_the_seed_commands_in_a_new_virtual_environment(wheel: Path, tmp_path: Path):
    work = away_from_target(tmp_path)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path, plain_env())
    run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], tmp_path, plain_env())
    env = plain_env()
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    # The command and both import paths of the storage API come from the wheel.
    assert shutil.which("asgard", path=env["PATH"]) == str(venv / "bin" / "asgard")
    run(["python", "-c", "import asgard_storage, gimle.asgard.monitor.storage"], work, env)
    seed_commands(work, env, ["asgard"], ["python"])


def test_the_seed_commands_with_uv_run_in_a_project(wheel: Path, tmp_path: Path):
    work = away_from_target(tmp_path)
    (work / "pyproject.toml").write_text(
        f"""[project]
name = "my-simulation"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["asgard-monitor"]

[tool.uv.sources]
asgard-monitor = {{ path = "{wheel}" }}
"""
    )
    env = plain_env()
    assert Path(UV).is_file(), f"uv from the package registry (scripts/requirements-wheel.txt), not at {UV}"
    seed_commands(work, env, [UV, "run", "asgard"], [UV, "run", "python"])
