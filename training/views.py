import json
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from dser import media
from dser.files import is_partial
from dser.http import serve_media
from dser.jobs import UNFINISHED, Status
from dser.roles import ML_ENGINEERS, role_required
from training import rounds, services
from training.forms import ExportForm, NextRoundForm, RunForm
from training.models import PreferenceExport, Round, TrainingRun

engineers_only = role_required(ML_ENGINEERS)


@require_GET
@engineers_only
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "training/index.html", {
        "exports": PreferenceExport.objects.all()[:20], "runs": TrainingRun.objects.all()[:20],
        "rounds": rounds.round_rows(),
        "export_form": ExportForm(), "run_form": RunForm(),
        "live": PreferenceExport.objects.filter(status__in=UNFINISHED).exists()})


@require_POST
@engineers_only
def new_export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST)
    if form.is_valid():
        export = services.request_export(form.filters(), created_by=request.user)
        messages.success(request, f"Export {export.pk} is on its way: a worker copies the audio and writes the "
                                  "triplets; this page shows when it is done.")
    else:
        messages.error(request, f"Not exported: {form.errors.as_text()}")
    return redirect("training")


@require_POST
@engineers_only
def new_run(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not launched: {form.errors.as_text()}")
        return redirect("training")
    try:
        run = services.launch_run(form.cleaned_data["export"], form.config(),
                                  init_checkpoint=form.cleaned_data["init_checkpoint"], created_by=request.user)
    except ValueError as exc:
        messages.error(request, f"Not launched: {exc}")
        return redirect("training")
    return redirect("training_run", run.pk)


@require_GET
@engineers_only
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(TrainingRun, pk=run_id)
    keys = ("loss", "rewards/accuracies", "rewards/margins", "val/loss", "val/rewards/accuracies", "val/rewards/margins")
    rows = [[entry["epoch"], *(entry.get(key) for key in keys)] for entry in run.epochs_done]
    trained_on = Round.of_run(run)
    next_round = NextRoundForm(previous_batch=trained_on.batch if trained_on else None) \
        if run.status == Status.DONE and run.export.batch_id else None
    return render(request, "training/run.html", {"run": run, "keys": keys, "rows": rows, "latest": run.latest,
                                                 "live": run.status in UNFINISHED, "round": trained_on,
                                                 "next_round_form": next_round})


@require_POST
@engineers_only
def next_round(request: HttpRequest, run_id: int) -> HttpResponse:
    """The round after this run: candidates of its model on the chosen clips, up to a budget."""
    run = get_object_or_404(TrainingRun, pk=run_id)
    form = NextRoundForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"No round started: {form.errors.as_text()}")
        return redirect("training_run", run_id)
    try:
        started = rounds.start_next_round(run, form.schedule_options(), same_clips=form.cleaned_data["same_clips"],
                                          created_by=request.user)
    except ValueError as exc:
        messages.error(request, f"No round started: {exc}")
        return redirect("training_run", run_id)
    messages.success(request, f"Round {started.number} started: render batch {started.batch_id} compares candidates "
                              f"of run {run.pk}'s model; annotators get its comparisons as they are rendered.")
    return redirect("training")


@require_POST
@engineers_only
def cancel_run(request: HttpRequest, run_id: int) -> HttpResponse:
    services.cancel_run(get_object_or_404(TrainingRun, pk=run_id))
    messages.success(request, "Cancelling: the run stops after its current step and keeps its last finished epoch.")
    return redirect("training_run", run_id)


@require_GET
@engineers_only
def download_export(request: HttpRequest, export_id: int) -> HttpResponse:
    """The export as one archive: triplets.jsonl, manifest.json and the audio they name."""
    export = get_object_or_404(PreferenceExport, pk=export_id)
    return _zip_response(Path(export.directory), f"export-{export.pk}.zip")


@require_GET
@engineers_only
def download_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run's directory as one archive: its checkpoint, training_log.jsonl and curves."""
    run = get_object_or_404(TrainingRun, pk=run_id)
    return _zip_response(Path(run.directory), f"run-{run.pk}.zip")


def _zip_response(directory: Path, filename: str) -> FileResponse:
    """Every file below `directory` in a zip (stored: audio and weights barely compress),
    written to a temporary file first so a failure is a clean 404, not half an archive."""
    if not directory.is_dir():
        raise Http404("nothing written yet")
    archive = tempfile.TemporaryFile()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        for path in sorted(p for p in directory.rglob("*") if p.is_file() and not is_partial(p)):
            bundle.write(path, path.relative_to(directory).as_posix())
    archive.seek(0)
    return FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")


@require_GET
@engineers_only
def run_curves(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(TrainingRun, pk=run_id)
    path = f"{run.directory}/training_curves.png"
    try:
        return FileResponse(open(path, "rb"), content_type="image/png")
    except FileNotFoundError:
        raise Http404("no curves yet") from None


@require_GET
@engineers_only
def study_report(request: HttpRequest) -> HttpResponse:
    from markdown_it import MarkdownIt

    path = media.media_path(f"{media.STUDY}/report.md")
    report = MarkdownIt("commonmark", {"html": False}).enable("table").render(path.read_text()) \
        if path.is_file() else None
    return render(request, "training/study.html", {"report": report, "status": _study_status()})


def _study_status() -> dict | None:
    """How far a study running in the background has come (benchmarks.study --status)."""
    try:
        status = json.loads(media.media_path(media.STUDY_STATUS).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return {**status, "at": datetime.fromtimestamp(status["at"], tz=timezone.utc)}


@require_GET
@engineers_only
def study_plot(request: HttpRequest, name: str) -> HttpResponse:
    return serve_media(request, f"{media.STUDY}/plots/{name}")
