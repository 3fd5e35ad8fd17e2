"""The real processes benchmarks run against: a Celery worker and the web app (gunicorn),
each in its own process group so that stopping it stops its children, and each told to stop
when the benchmark that started it dies (killed by a timeout, say): a worker left behind would
go on taking the next run's messages from the same queues."""
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def stop_with_parent() -> None:
    """In the child, before it runs: SIGTERM when its parent dies (Linux; elsewhere a no-op)."""
    if sys.platform == "linux":
        ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_worker(env: dict, name: str, queues: str, concurrency: int, log: Path) -> subprocess.Popen:
    """A `celery worker` (node `name@localhost`), returned once it answers a ping."""
    from dser.celery import app

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dser", "worker", "-Q", queues, "-n", f"{name}@localhost",
         "--concurrency", str(concurrency), "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=stop_with_parent)
    for _ in range(120):
        if app.control.inspect(destination=[f"{name}@localhost"], timeout=1.0).ping():
            return worker
        if worker.poll() is not None:
            break
        time.sleep(0.5)
    stop(worker)
    raise RuntimeError(f"the worker did not start; see {log}")


def start_web(env: dict, port: int, workers: int, log: Path | None = None) -> subprocess.Popen:
    """gunicorn serving the app on 127.0.0.1:`port`, returned once /healthz answers."""
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "dser.wsgi:application", "--bind",
                               f"127.0.0.1:{port}", "--workers", str(workers)], cwd=ROOT, env=env,
                              stdout=log.open("w") if log else subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              start_new_session=True, preexec_fn=stop_with_parent)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.5)
    stop(server)
    raise RuntimeError(f"the web app did not start on port {port}" + (f"; see {log}" if log else ""))


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def running(process: subprocess.Popen):
    try:
        yield process
    finally:
        stop(process)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
