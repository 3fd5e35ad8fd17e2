"""Render-job throughput: seconds of clip audio fully processed (5 sequences, 5 avatar videos,
all 10 comparisons) per wall second, with one Celery worker process and with two, for the
embedded stage-1 checkpoint and a base-size wav2vec2 (random weights: same cost, offline).

    .venv/bin/python benchmarks/pipeline_throughput.py [--clips 6] [--repeats 1] [--size 256]

Everything is real: a scratch SQLite database (WAL), Redis database 11, `celery worker`
processes, generated MELD-layout clips. The clock starts when the batch is scheduled (the
workers are already up) and stops when the batch is done. Orchestration overhead is the share
of the workers' wall time not spent in model inference, rendering or encoding:
1 - (inference + render + compose seconds) / (wall seconds x worker processes).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import start_worker, stop
from rendering.face.options import RenderOptions

REDIS_URL = "redis://127.0.0.1:6379/11"  # each benchmark its own Redis database


def configure(scratch: Path, size: int) -> dict:
    env = dict(os.environ, DEBUG="1", DSER_VAR_DIR=str(scratch / "var"), DATABASE_URL=f"sqlite:///{scratch}/bench.sqlite3",
               MEDIA_ROOT=str(scratch / "media"), REDIS_URL=REDIS_URL, HF_HUB_OFFLINE="1", DSER_RENDER_SIZE=str(size),
               DJANGO_SETTINGS_MODULE="dser.settings", LOG_LEVEL="WARNING")
    os.environ.update(env)
    import django

    django.setup()
    return env


def base_size_checkpoint(directory: Path) -> Path:
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    from emotion.checkpoint import Metadata, save_checkpoint
    from emotion.model import DSERModel

    model = DSERModel(Wav2Vec2Model(Wav2Vec2Config()), "utterance")  # wav2vec2-base's shape
    return save_checkpoint(model, directory, Metadata(stage=1, head="utterance", provenance={"note": "benchmark"}))


def run_batch(checkpoint: Path, processes: int, seed: int, env: dict, scratch: Path) -> dict:
    import redis
    from django.db.models import Sum

    from rendering.batches import batch_counts
    from rendering.models import Render, RenderBatch
    from rendering.options import ScheduleOptions
    from rendering.scheduling import schedule_batch

    redis.Redis.from_url(REDIS_URL).flushdb()
    worker = start_worker(env, f"bench-{processes}", "default,inference,render", processes,
                          scratch / f"worker-{processes}-{seed}.log")
    try:
        started = time.perf_counter()
        batch = schedule_batch(ScheduleOptions(checkpoint=str(checkpoint), dataset="bench", seed=seed))
        while RenderBatch.objects.get(pk=batch.pk).state == RenderBatch.State.RUNNING:
            time.sleep(0.2)
        wall = time.perf_counter() - started
    finally:
        stop(worker)
    counts = batch_counts(batch)
    if counts["failures"]:
        raise RuntimeError(f"batch {batch.pk} had failures: {counts['failures']}")
    work = sum(filter(None, [
        batch.batch_clips.aggregate(s=Sum("inference_seconds"))["s"],
        Render.objects.filter(sequence__batches=batch).aggregate(s=Sum("render_seconds"))["s"],
        batch.comparisons.aggregate(s=Sum("render_seconds"))["s"]]))
    audio = sum(batch.clips.values_list("duration_s", flat=True))
    return {"rate": audio / wall, "overhead": 1 - work / (wall * processes), "wall": wall, "audio": audio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--size", type=int, default=RenderOptions.size, help="video size in pixels")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        env = configure(scratch, args.size)
        from django.core.management import call_command

        from emotion.defaults import DEFAULT_STAGE1

        call_command("migrate", verbosity=0)
        call_command("make_demo_corpus", str(scratch / "corpus"), "--clips", str(args.clips), "--voices", "0")
        call_command("import_meld", "--csv", str(scratch / "corpus/meld/dev_sent_emo.csv"), "--clips",
                     str(scratch / "corpus/meld/dev_splits_complete"), "--dataset", "bench", verbosity=0)
        checkpoints = {"embedded": DEFAULT_STAGE1, "base-size": base_size_checkpoint(scratch / "base")}
        results, seed = {}, 0
        for name, checkpoint in checkpoints.items():
            for processes in (1, 2):
                runs = []
                for _ in range(args.repeats):
                    seed += 1  # a new draw of sequences, so nothing is reused from an earlier run
                    runs.append(run_batch(checkpoint, processes, seed, env, scratch))
                    print(f"{name}, {processes} worker process(es): {runs[-1]['audio']:.1f} s of audio in "
                          f"{runs[-1]['wall']:.1f} s, overhead {runs[-1]['overhead']:.1%}", flush=True)
                results[name, processes] = (statistics.median(r["rate"] for r in runs),
                                            statistics.median(r["overhead"] for r in runs))
        for (name, processes), (rate, overhead) in results.items():
            print(f"{name:>9} checkpoint, {processes} process(es): {rate:.3f} clip-seconds per second, "
                  f"orchestration overhead {overhead:.1%}")


if __name__ == "__main__":
    main()
