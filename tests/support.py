"""What the tests share: users with a role, hand-made comparisons and judgments, media
broken the ways real corpora are, and real Celery workers on the test database and Redis.
Fixtures built on these are in conftest.py."""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import ffmpeg
import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from annotator.models import Judgment, Lease
from corpus.models import Clip
from dser.differences import segment_marks
from dser.emotions import one_hot
from dser.files import is_partial
from dser.jobs import Status
from dser.timeline import Timeline
from rendering.models import Comparison, EmotionSequence, RenderBatch

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-test-passphrase"


def make_user(username: str, role: str) -> User:
    """A user made as an operator makes one (create_user), with PASSWORD and one role."""
    os.environ["TEST_PASSWORD"] = PASSWORD
    call_command("create_user", username, "--role", role, "--password-env", "TEST_PASSWORD", stdout=StringIO())
    return User.objects.get(username=username)


# Comparisons ready to judge, made directly (no render pipeline), all showing one real
# side-by-side avatar video (the `pair_video` fixture renders it once per test run).

def render_pair_video(speech: Path, target: Path) -> Path:
    """Joy on the left, sadness on the right, speaking `speech`: what annotators compare."""
    from rendering.face.options import RenderOptions
    from rendering.face.video import render_pair

    render_pair(speech, Timeline([0.0], [one_hot("joy")]), Timeline([0.0], [one_hot("sadness")]), target,
                RenderOptions(size=160))
    return target


def make_comparisons(video: Path, media_root: Path, count: int, overlap: int | None = None,
                     controls: int = 0) -> list[Comparison]:
    """`count` comparisons (the last `controls` of them controls, answer: left) in one batch."""
    (media_root / "comparisons").mkdir(parents=True, exist_ok=True)
    shutil.copy(video, media_root / "comparisons" / "pair.mp4")
    duration_s = float(ffmpeg.probe(str(video))["format"]["duration"])
    batch = RenderBatch.objects.create(checkpoint="ckpt", checkpoint_hash="h" * 64, overlap=overlap)
    made = []
    for i in range(count):
        clip = Clip.objects.create(dataset="study", key=f"dia{i}_utt0", source_path="-", duration_s=duration_s,
                                   transcript=f"Line number {i}.")
        joy, neutral = (EmotionSequence.objects.create(
            clip=clip, checkpoint="ckpt", checkpoint_hash="h" * 64, window_s=0.5 + k, stride_s=0.5,
            timeline=Timeline([0.0], [one_hot(emotion)]).to_json()) for k, emotion in enumerate(("joy", "neutral")))
        is_control = i >= count - controls
        made.append(Comparison.objects.create(
            clip=clip, left=joy, right=neutral, status=Status.DONE, file="comparisons/pair.mp4", duration_s=duration_s,
            is_control=is_control, control_answer="left" if is_control else "", difference=1.0, peak_difference=1.0,
            marks=segment_marks(joy.get_timeline(), neutral.get_timeline(), duration_s)))  # joy against neutral throughout
    batch.comparisons.add(*made)
    return made


def judge_watched(user, comparison_id: int, choice: str) -> Judgment:
    """Answer as an annotator who watched the pair through: the lease is moved back a minute
    first (an answer sooner than the video is too fast, and serving does not count it)."""
    from annotator import services

    Lease.objects.filter(annotator=user, comparison_id=comparison_id).update(
        served_at=F("served_at") - timedelta(minutes=1))
    return services.judge(user, comparison_id, choice, True, 60_000)


def annotators(*names: str):
    return [make_user(name, "annotators") for name in names]


def sequence(clip, window_s: float, emotion: str) -> EmotionSequence:
    timeline = Timeline([0.0, clip.duration_s], [one_hot(emotion), one_hot(emotion)]).to_json()
    return EmotionSequence.objects.create(clip=clip, checkpoint="ckpt", checkpoint_hash="h" * 64, window_s=window_s,
                                          stride_s=0.5, timeline=timeline)


def vote(user, comparison, choice: str) -> None:
    lease = Lease.objects.create(comparison=comparison, annotator=user, expires_at=timezone.now())
    Judgment.objects.create(annotator=user, comparison=comparison, lease=lease, choice=choice, left=comparison.left,
                            right=comparison.right, response_ms=3000, time_ms=3000, watched_to_end=True)


def honest_and_always_left(clip) -> list[tuple[float, float]]:
    """Four clips (the demo clip's audio), three sequences each, truth s1 > s2 > s3 with window
    lengths 0.5, 0.7, 0.9; every pair shown, in alternating order. Two honest annotators
    answer the truth; two adversaries always answer "left". Returns the true (better, worse)
    window pairs."""
    honest, adversaries = annotators("h1", "h2"), annotators("left1", "left2")
    for i in range(4):
        this = clip if i == 0 else Clip.objects.create(dataset="demo", key=f"copy{i}", source_path="-",
                                                       audio=clip.audio.name, duration_s=clip.duration_s,
                                                       status=Clip.Status.READY)
        s1, s2, s3 = sequence(this, 0.5, "joy"), sequence(this, 0.7, "anger"), sequence(this, 0.9, "sadness")
        for k, (better, worse) in enumerate(((s1, s2), (s2, s3), (s1, s3))):
            left, right = (better, worse) if (i + k) % 2 == 0 else (worse, better)
            comparison = Comparison.objects.create(clip=this, left=left, right=right, status=Status.DONE)
            for user in honest:
                vote(user, comparison, "left" if left == better else "right")
            for user in adversaries:
                vote(user, comparison, "left")
    return [(0.5, 0.7), (0.5, 0.9), (0.7, 0.9)]


# Broken media of the kinds real corpora contain, made with ffmpeg.

def run_ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def write_video_without_audio(target: Path, seconds: float = 1.0) -> None:
    run_ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=64x48:r=25", "-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p", str(target))


def write_tone_mp4(target: Path, seconds: float) -> None:
    run_ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=64x48:r=25", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000",
           "-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(target))


def truncate(path: Path, fraction: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


# Real Celery workers on the test database and Redis.

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


def run_in_threads(*bodies) -> None:
    """Each body in a thread of its own, so on a database connection of its own; re-raises."""
    errors = []

    def run(body):
        try:
            body()
        except BaseException as error:  # handed to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
