from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotator import services
from annotator.api import BLOCKED_HEADER
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
        "change_window_min": settings.CHANGE_WINDOW_S // 60, "answers": answers,
        "qualification": settings.QUALIFICATION, "standing": services.qualification_of(request.user),
        "blocked_header": BLOCKED_HEADER, "segment_votes": settings.SEGMENT_VOTES})


@require_POST
@role_required(ADMINS)
def reinstate(request: HttpRequest, annotator_id: int) -> HttpResponse:
    """An admin lets a blocked annotator be served again (their checks count afresh)."""
    annotator = get_object_or_404(get_user_model(), pk=annotator_id)
    if services.reinstate(annotator, request.user):
        messages.success(request, f"{annotator} is reinstated: they are served again and their checks count afresh.")
    else:
        messages.info(request, f"{annotator} was not blocked.")
    return redirect("dashboard")


@require_GET
@role_required(ADMINS)
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = dashboard_figures()
    busiest = max([n for _, n in figures["per_day"]] + [1])
    return render(request, "annotator/dashboard.html", {**figures, "busiest": busiest})
