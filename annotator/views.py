from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotator import services
from dser.roles import ADMINS, ANNOTATORS, role_required


@require_GET
@role_required(ANNOTATORS)
def annotate(request: HttpRequest) -> HttpResponse:
    """The annotation page: the page itself is a shell; the next comparison, answers and
    history go through the API (annotator/api.py) from static/js/annotate.js."""
    return render(request, "annotator/annotate.html", {
        "progress": services.progress(request.user), "history": services.history(request.user),
        "change_window_min": settings.CHANGE_WINDOW_S // 60})


@require_GET
@role_required(ADMINS)
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = services.dashboard_figures()
    busiest = max([n for _, n in figures["per_day"]] + [1])
    return render(request, "annotator/dashboard.html", {**figures, "busiest": busiest})
