"""The Celery app: late acknowledgement, queues, and a real worker answering over Redis."""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from dser.celery import app

ROOT = Path(__file__).resolve().parent.parent


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


PROJECT_PACKAGES = ("corpus.", "rendering.", "annotator.", "training.", "dser.")
EXPECTED_QUEUES = {"rendering.tasks.generate_sequences": "inference", "rendering.tasks.render_sequence": "render",
                   "rendering.tasks.render_comparison": "render", "rendering.tasks.reconcile": "default",
                   "training.tasks.train_dpo_run": "training", "training.tasks.make_export": "default",
                   "training.tasks.reconcile_runs": "default"}


def test_every_project_task_is_routed_to_a_queue_the_workers_consume():
    """Checked against the tasks that exist: a new task without a route, or a route naming a
    queue no worker command consumes, fails here."""
    app.loader.import_default_modules()
    tasks = {name for name in app.tasks if name.startswith(PROJECT_PACKAGES)}
    routed = {name: app.amqp.router.route({}, name)["queue"].name for name in tasks}
    assert routed == EXPECTED_QUEUES
    makefile = (ROOT / "Makefile").read_text()
    consumed = set(makefile.split("QUEUES ?= ", 1)[1].split()[0].split(","))
    assert set(routed.values()) <= consumed
    compose_workers = re.findall(r"make worker QUEUES=([\w,]+)", (ROOT / "docker-compose.yml").read_text())
    assert set(routed.values()) <= {queue for queues in compose_workers for queue in queues.split(",")}


def test_a_worker_starts_with_the_project_settings_and_answers(tmp_path):
    """A real worker on the test Redis; `inspect ping` is what docker-compose's healthcheck runs."""
    name = f"test-{os.getpid()}@localhost"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dser", "worker", "-Q", "default,inference,render,training", "-n", name,
         "--concurrency", "1", "--pool", "solo", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        replies = None
        for _ in range(30):
            replies = app.control.inspect(destination=[name], timeout=1.0).ping()
            if replies:
                break
            time.sleep(0.5)
        assert replies == {name: {"ok": "pong"}}
        queues = app.control.inspect(destination=[name], timeout=2.0).active_queues()[name]
        assert {q["name"] for q in queues} == {"default", "inference", "render", "training"}
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert "Traceback" not in output, output


def test_a_pool_process_that_crashes_in_native_code_leaves_its_python_stack_in_the_log(tmp_path):
    """A render process killed by SIGSEGV (as torch or llvmpipe can) must not vanish with only
    "signal 11": the worker's log gets the stack it died in (faulthandler, dser.celery)."""
    name, log = f"crash-{os.getpid()}@localhost", tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dser", "worker", "-Q", "crash-test", "-n", name, "--concurrency", "1",
         "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(60):
            if app.control.inspect(destination=[name], timeout=1.0).ping():
                break
        pool_process = int(subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True,
                                          check=True).stdout.split()[0])
        os.kill(pool_process, signal.SIGSEGV)
        for _ in range(100):
            if "signal 11" in log.read_text():
                break
            time.sleep(0.1)
        output = log.read_text()
        assert "signal 11" in output
        assert "Fatal Python error: Segmentation fault" in output and "billiard" in output.split("Fatal Python")[1]
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the pool process that replaced the crashed one too
        worker.wait()
