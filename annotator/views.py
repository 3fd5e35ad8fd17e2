from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotator import services
from annotator.dashboard import dashboard_figures
from annotator.models import Judgment
from dser.roles import ADMINS, ANNOTATORS, role_required


@require_GET
@role_required(ANNOTATORS)
def annotate(request: HttpRequest) -> HttpResponse:
    """The annotation page: the page itself is a shell; the next comparison, answers and
    history go through the API (annotator/api.py) from static/js/annotate.js."""
    answers = [{"value": choice.value, "label": choice.label, "keys": keys}
               for choice, keys in Judgment.ANSWER_KEYS.items()]
    return render(request, "annotator/annotate.html", {
        "progress": services.progress(request.user), "history": services.history(request.user),
        "change_window_min": settings.CHANGE_WINDOW_S // 60, "answers": answers})


@require_GET
@role_required(ADMINS)
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = dashboard_figures()
    busiest = max([n for _, n in figures["per_day"]] + [1])
    return render(request, "annotator/dashboard.html", {**figures, "busiest": busiest})
