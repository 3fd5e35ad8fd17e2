"""Clip import speed: `import_meld` on 100 generated demo clips, into a scratch SQLite DB.

    .venv/bin/python benchmarks/import_speed.py [--clips 100] [--repeats 3] [--jobs 2]

Generates the corpus once, then imports it `repeats` times into fresh databases and
prints the median clips per second last.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/14"  # each benchmark its own Redis database


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        env = dict(os.environ, DEBUG="1", DSER_VAR_DIR=str(scratch / "var"), DATABASE_URL=f"sqlite:///{scratch}/gen.sqlite3",
                   REDIS_URL=REDIS_URL)
        env.pop("MEDIA_ROOT", None)
        manage(env, "make_demo_corpus", str(scratch / "corpus"), "--clips", str(args.clips), "--voices", "0")
        rates = []
        for run in range(args.repeats):
            run_env = dict(env, DATABASE_URL=f"sqlite:///{scratch}/run{run}.sqlite3", MEDIA_ROOT=str(scratch / f"media{run}"))
            manage(run_env, "migrate", "-v", "0")
            start = time.perf_counter()
            manage(run_env, "import_meld", "--csv", str(scratch / "corpus/meld/dev_sent_emo.csv"),
                   "--clips", str(scratch / "corpus/meld/dev_splits_complete"), "--jobs", str(args.jobs), "-v", "0")
            seconds = time.perf_counter() - start
            rates.append(args.clips / seconds)
            print(f"run {run + 1}: {args.clips} clips in {seconds:.2f} s ({rates[-1]:.1f} clips/s)")
        print(f"import_meld: {statistics.median(rates):.1f} clips/s (median of {args.repeats}, {args.jobs} jobs)")


if __name__ == "__main__":
    main()
