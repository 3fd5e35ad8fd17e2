"""The states of work that workers do (render-job items, DPO runs): one vocabulary, which
the apps' models, views, admin and the study all import."""
from django.db import models


class Status(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


UNFINISHED = (Status.PENDING, Status.RUNNING)
FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)
