"""The Celery app. Workers: `celery -A dser worker -Q default,inference,render`."""
import faulthandler
import os
import sys

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dser.settings")

app = Celery("dser")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def share_the_cores(sender, **_kwargs) -> None:
    """Give each pool process its share of the cores. Left alone, torch and llvmpipe (the
    software OpenGL) each start one thread per core in every process, and N processes fight
    over the cores instead of sharing them. Set before the pool forks, so children inherit it."""
    per_process = str(max(1, (os.cpu_count() or 1) // max(1, sender.concurrency or 1)))
    os.environ.setdefault("DSER_THREADS_PER_PROCESS", per_process)
    os.environ.setdefault("LP_NUM_THREADS", per_process)


@signals.worker_init.connect
def log_native_crashes(**_kwargs) -> None:
    """A pool process that dies in native code (torch, llvmpipe) writes its Python stack to the
    worker's log instead of vanishing with "signal 11". Enabled before the pool forks, so the
    children inherit it; the real stderr, as Celery replaces sys.stderr with a logger."""
    faulthandler.enable(file=sys.__stderr__)


@signals.worker_process_init.connect
def limit_torch_threads(**_kwargs) -> None:
    threads = os.environ.get("DSER_THREADS_PER_PROCESS")
    if threads:
        import torch

        torch.set_num_threads(int(threads))
