"""The Celery app: late acknowledgement, queues, and a real worker answering over Redis."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dser.celery import app

ROOT = Path(__file__).resolve().parent.parent


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.parametrize("task, queue", [
    ("rendering.tasks.render_sequence", "render"), ("training.tasks.generate_sequences", "inference"),
    ("annotator.tasks.anything", "default"),
])
def test_inference_and_rendering_have_their_own_queues(task, queue):
    route = app.amqp.router.route({}, task)
    assert route["queue"].name == queue


def test_a_worker_starts_with_the_project_settings_and_answers(tmp_path):
    """A real worker on the test Redis; `inspect ping` is what docker-compose's healthcheck runs."""
    name = f"test-{os.getpid()}@localhost"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dser", "worker", "-Q", "default,inference,render", "-n", name,
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
        assert {q["name"] for q in queues} == {"default", "inference", "render"}
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert "Traceback" not in output, output
