"""Annotation API under load: concurrent annotators (scripts with tokens) asking for the next
comparison and answering it, against gunicorn and PostgreSQL on this machine (loopback only).

    .venv/bin/python benchmarks/annotation_load.py [--annotators 50] [--seconds 60] [--watch 2.0] [--workers 5]

Makes a scratch database `dser_load` (the tests' PostgreSQL role), 50 annotators with tokens and
enough comparisons (overlap 3) that work never runs out, then runs the clients for a bounded
time. Each annotator watches the video (--watch seconds, the length of a short clip) before
answering; --watch 0 asks as fast as it can, which measures the most judgments per second the
server sustains (latency then is mostly waiting in line). Afterwards it checks the database against what the clients saw: every 201 is exactly
one judgment, no judgment without its lease, no duplicate, no 5xx. Prints p50/p95 latency of
`next` and of a judgment, and judgments per second last.
"""
import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import running, start_web

DB_URL = "postgres://dser:dser@127.0.0.1:5432/dser_load"
REDIS_URL = "redis://127.0.0.1:6379/10"  # each benchmark its own Redis database (the tests use 9 and 12)
PORT = 8899
SEQUENCES_PER_CLIP = 5
CONTROL_EVERY_CLIPS = 5
PAIRS_PER_CLIP = SEQUENCES_PER_CLIP * (SEQUENCES_PER_CLIP - 1) // 2


def configure(scratch: Path) -> dict:
    import psycopg

    with psycopg.connect("postgresql://dser:dser@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS dser_load")
        admin.execute("CREATE DATABASE dser_load")
    env = dict(os.environ, DATABASE_URL=DB_URL, DSER_VAR_DIR=str(scratch / "var"), MEDIA_ROOT=str(scratch / "media"),
               DJANGO_SETTINGS_MODULE="dser.settings", DEBUG="0", SECRET_KEY="load-test-only-" + "x" * 40,
               ALLOWED_HOSTS="127.0.0.1", DSER_OVERLAP="3", LOG_LEVEL="WARNING", REDIS_URL=REDIS_URL,
               # production settings, but plain HTTP on loopback: no TLS proxy in front of it
               SECURE_SSL_REDIRECT="0", BEHIND_TLS_PROXY="0")
    os.environ.update(env)
    import django

    django.setup()
    return env


def make_work(annotators: int, comparisons: int) -> tuple[list[str], dict[int, str]]:
    """(the annotators' tokens, the controls' known answers by comparison id)."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from annotator.models import ApiToken
    from corpus.models import Clip
    from dser.emotions import EMOTIONS, one_hot
    from dser.jobs import Status
    from dser.roles import ANNOTATORS, assign_role
    from dser.timeline import Timeline
    from rendering.models import CONTROL_WORTH, Comparison, EmotionSequence

    call_command("migrate", verbosity=0)
    # As a render batch makes them: five sequences per clip, every pair compared, so each vote
    # reweighs ten comparisons of its clip (annotator.services.record_votes); a control on every
    # CONTROL_EVERY_CLIPS-th clip, on which annotators qualify (DSER_QUALIFY_CONTROLS, on as deployed).
    controls = {}
    for i in range(0, comparisons, PAIRS_PER_CLIP):
        clip = Clip.objects.create(dataset="load", key=f"c{i}", source_path="-", duration_s=2.0, transcript="Hi.")
        sequences = [EmotionSequence.objects.create(
            clip=clip, checkpoint="-", checkpoint_hash="h", window_s=0.5 + k, stride_s=0.5,
            timeline=Timeline([0.0], [one_hot(EMOTIONS[k])]).to_json()) for k in range(SEQUENCES_PER_CLIP)]
        for a, b in itertools.combinations(sequences, 2):
            peak = float(np.random.default_rng(a.pk * 1000 + b.pk).uniform(0.2, 1.0))
            Comparison.objects.create(clip=clip, left=a, right=b, status=Status.DONE, file="comparisons/x.mp4",
                                      duration_s=2.0, difference=peak / 2, peak_difference=peak, vote_worth=peak)
        if i // PAIRS_PER_CLIP % CONTROL_EVERY_CLIPS == 0:
            worse = EmotionSequence.objects.create(
                clip=clip, checkpoint="-", checkpoint_hash="h", window_s=0.5, stride_s=0.5,
                kind=EmotionSequence.Kind.UNLIKELY, timeline=Timeline([0.0], [one_hot(EMOTIONS[-1])]).to_json())
            control = Comparison.objects.create(clip=clip, left=sequences[0], right=worse, status=Status.DONE,
                                                file="comparisons/x.mp4", duration_s=2.0, is_control=True,
                                                control_answer="left", difference=1.0, peak_difference=1.0,
                                                vote_worth=CONTROL_WORTH)
            controls[control.pk] = "left"
    tokens = []
    for i in range(annotators):
        user = User.objects.create_user(f"load{i}")
        assign_role(user, ANNOTATORS)
        tokens.append(ApiToken.issue(user))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh tables: give the planner statistics, as autovacuum would
    return tokens, controls


def request(method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict | None, float]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    elapsed = time.perf_counter() - started
    return status, (json.loads(payload) if payload else None), elapsed


def annotate(token: str, deadline: float, watch_s: float, controls: dict[int, str], results: dict,
             lock: threading.Lock) -> None:
    """One annotator: careful ones, who get every control right (none is blocked)."""
    mine = {"next": [], "judge": [], "statuses": Counter(), "created": []}
    while time.perf_counter() < deadline:
        status, body, elapsed = request("GET", "/api/v1/comparisons/next", token)
        mine["next"].append(elapsed)
        mine["statuses"][f"next {status}"] += 1
        if status != 200:
            time.sleep(0.2)
            continue
        time.sleep(watch_s)
        status, answer, elapsed = request("POST", "/api/v1/judgments", token, {
            "comparison": body["id"], "choice": controls.get(body["id"], "left"), "watched_to_end": True,
            "time_ms": 2100})
        mine["judge"].append(elapsed)
        mine["statuses"][f"judge {status}"] += 1
        if status == 201:
            mine["created"].append(answer["id"])
    with lock:
        for key in ("next", "judge", "created"):
            results[key] += mine[key]
        results["statuses"] += mine["statuses"]


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn worker processes")
    parser.add_argument("--comparisons", type=int, default=2000)
    parser.add_argument("--watch", type=float, default=2.0, help="seconds each annotator watches before answering")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        env = configure(Path(scratch))
        tokens, controls = make_work(args.annotators, args.comparisons)
        with running(start_web(env, PORT, args.workers)):
            results = {"next": [], "judge": [], "created": [], "statuses": Counter()}
            lock = threading.Lock()
            deadline = time.perf_counter() + args.seconds
            clients = [threading.Thread(target=annotate, args=(token, deadline, args.watch, controls, results, lock)) for token in tokens]
            started = time.perf_counter()
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            wall = time.perf_counter() - started
        report(results, wall, args)


def report(results: dict, wall: float, args) -> None:
    from django.db.models import Count

    from annotator.models import Judgment, Qualification

    statuses = results["statuses"]
    errors = sum(n for key, n in statuses.items() if key.split()[1].startswith("5"))
    judgments = Judgment.objects.count()
    duplicates = Judgment.objects.values("annotator", "comparison").annotate(n=Count("pk")).filter(n__gt=1).count()
    overfilled = (Judgment.objects.filter(comparison__is_control=False).values("comparison")  # controls: everyone's
                  .annotate(n=Count("pk")).filter(n__gt=3).count())
    print(f"responses: {dict(sorted(statuses.items()))}")
    print(f"database: {judgments} judgments for {len(results['created'])} answers created; "
          f"{duplicates} duplicates; {overfilled} comparisons over their overlap; {errors} 5xx")
    ok = judgments == len(results["created"]) == len(set(results["created"])) and not (duplicates or overfilled or errors)
    print("integrity: " + ("OK" if ok else "BROKEN"))
    print(f"next:     p50 {percentile(results['next'], .5) * 1000:.0f} ms, p95 {percentile(results['next'], .95) * 1000:.0f} ms")
    print(f"judgment: p50 {percentile(results['judge'], .5) * 1000:.0f} ms, p95 {percentile(results['judge'], .95) * 1000:.0f} ms")
    qualified = Qualification.objects.filter(qualified_at__isnull=False).count()
    print(f"qualification: {qualified} of {args.annotators} annotators qualified, "
          f"{Judgment.objects.filter(comparison__is_control=True).count()} control answers")
    print(f"{args.annotators} annotators watching {args.watch:g} s each, for {wall:.0f} s: "
          f"{judgments / wall:.1f} judgments per second")


if __name__ == "__main__":
    main()
