"""The Celery app. Workers: `celery -A dser worker -Q default,inference,render`."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dser.settings")

app = Celery("dser")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
