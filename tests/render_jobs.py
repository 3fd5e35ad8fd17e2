"""Helpers for the render-job tests: real Celery workers on the test database and Redis."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import ffmpeg
import redis
from django.conf import settings
from django.db import connection

from corpus.models import Clip
from dser.files import is_partial
from rendering.models import RenderBatch

ROOT = Path(__file__).resolve().parent.parent
STALE_S = 3  # DSER_JOB_STALE_S of the test workers: a killed worker's claim goes stale quickly


def worker_env(media_root: Path) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL, "MEDIA_ROOT": str(media_root), "HF_HUB_OFFLINE": "1",
        "DSER_RENDER_SIZE": "64", "DSER_JOB_STALE_S": str(STALE_S), "DSER_JOB_RETRY_BACKOFF_S": "1",
    }


class Worker:
    """`celery worker` in its own process group (so a test can SIGKILL it with its children)."""

    def __init__(self, media_root: Path, name: str, concurrency: int = 1):
        self.log = media_root.parent / f"{name}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dser", "worker", "-Q", "default,inference,render,training",
             "-n", f"{name}-{os.getpid()}@localhost", "--concurrency", str(concurrency), "--without-gossip",
             "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
            cwd=ROOT, env=worker_env(media_root), stdout=self.log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to acknowledge, re-queue or clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def flush_broker() -> None:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def wait_for(condition, timeout: float, what: str, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = worker.log.read_text()[-3000:] if worker else ""
            raise AssertionError(f"timed out waiting for {what}\n{log}")
        time.sleep(0.5)


def batch_finished(batch: RenderBatch) -> bool:
    batch.refresh_from_db()
    return batch.state != RenderBatch.State.RUNNING


def make_unreadable_clip(media_root: Path) -> Clip:
    """A clip that imported once but whose WAV was later damaged on disk."""
    path = media_root / "clips" / "broken" / "garbage.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF\x10\x00\x00\x00WAVEgarbage-not-audio")
    return Clip.objects.create(dataset="demo", key="broken/garbage", source_path=str(path),
                               audio="clips/broken/garbage.wav", duration_s=3.0)


def probe_video(path: Path) -> tuple[dict, dict]:
    streams = {s["codec_type"]: s for s in ffmpeg.probe(str(path))["streams"]}
    return streams["video"], streams["audio"]


def partial_files(media_root: Path) -> list[Path]:
    return [p for p in media_root.rglob("*") if is_partial(p) or p.name.startswith(".pair-")]
