import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.stats.qualification import Rules
from corpus.sources.demo import DemoCorpus, make_demo_corpus
from dser.roles import ADMINS, ANNOTATORS, ML_ENGINEERS
from tests.support import ROOT, Worker, flush_broker, make_user

# The fixtures that put a test in a tier (pytest.ini): a `pure` test may use none of them.
DATABASE_FIXTURES = {"db", "transactional_db", "client", "admin_client", "live_server", "clip", "judged", "annotator",
                     "admin_user", "engineer"}
MEDIA_FIXTURES = {"demo_corpus", "corpus_copy", "clip", "pair_video", "judged"}
WORKER_FIXTURES = {"workers", "live_server", "browser"}
SLOW_FIXTURES = {"quick_models", "study"}


def pytest_collection_modifyitems(items):
    """Put each test in its tiers from the fixtures it uses, and keep `make test-fast` honest:
    a test marked pure that reaches for the database or generated media is a collection error,
    not a slow surprise."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        tiers = {"database": bool(used & DATABASE_FIXTURES) or item.get_closest_marker("django_db") is not None,
                 "media": bool(used & MEDIA_FIXTURES), "workers": bool(used & WORKER_FIXTURES),
                 "slow": bool(used & SLOW_FIXTURES)}
        if item.get_closest_marker("pure") and any(tiers.values()):
            impure = sorted(used & (DATABASE_FIXTURES | MEDIA_FIXTURES | WORKER_FIXTURES | SLOW_FIXTURES)) or "the database"
            raise pytest.UsageError(f"{item.nodeid} is marked pure but uses {impure}")
        for tier in (name for name, applies in tiers.items() if applies):
            item.add_marker(tier)


def model_quality_command(work: Path) -> list[str]:
    return [sys.executable, str(ROOT / "benchmarks" / "model_quality.py"), "--quick", "--seeds", "1", "--out", str(work)]


@pytest.fixture(scope="session")
def quick_models(tmp_path_factory) -> tuple[Path, str]:
    """benchmarks/model_quality.py --quick, two runs at a time: its folder (corpora, both
    losses' stage-1 and stage-2 models) and what it printed. Trained once per test run: the
    model-quality test checks it, the study test starts from it."""
    work = tmp_path_factory.mktemp("models") / "mq"
    done = subprocess.run(model_quality_command(work) + ["--jobs", "2"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return work, done.stdout


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory) -> DemoCorpus:
    """A small generated corpus (8 MELD-layout clips, 2 CREMA-D voices), made once per run.
    Tests that change files copy it first (`corpus_copy`)."""
    return make_demo_corpus(tmp_path_factory.mktemp("demo"), n_clips=8, n_voices=2, n_sentences=2, seed=7)


@pytest.fixture
def corpus_copy(demo_corpus, tmp_path) -> DemoCorpus:
    root = tmp_path / "corpus"
    shutil.copytree(demo_corpus.root, root)
    return DemoCorpus(root)


@pytest.fixture(autouse=True)
def qualification_off(settings):
    """The tests of other features run as a project without qualification (every vote counts,
    controls mixed in with the rest); tests/test_qualification.py turns it on."""
    settings.QUALIFICATION = Rules(controls=0)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test writes media into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def clip(demo_corpus, media_root):
    """One demo clip imported (dataset "demo"), its WAV under this test's MEDIA_ROOT."""
    from django.core.management import call_command

    from corpus.models import Clip

    call_command("import_meld", "--csv", str(demo_corpus.meld_csv), "--clips", str(demo_corpus.meld_clips),
                 "--dataset", "demo", "--limit", "1", stdout=io.StringIO(), verbosity=0)
    return Clip.objects.get(dataset="demo")


@pytest.fixture(scope="session")
def pair_video(demo_corpus, tmp_path_factory) -> Path:
    """A real side-by-side avatar video (about 2 s of speech, 160 px faces), rendered once."""
    from tests.support import render_pair_video

    return render_pair_video(sorted(demo_corpus.crema_d.glob("*_NEU_XX.wav"))[0],
                             tmp_path_factory.mktemp("pair") / "pair.mp4")


@pytest.fixture
def annotator():
    return make_user("ann", ANNOTATORS)


@pytest.fixture
def admin_user():
    """An admin (the `admins` role, not a superuser): replaces pytest-django's fixture."""
    return make_user("adm", ADMINS)


@pytest.fixture
def engineer():
    return make_user("eng", ML_ENGINEERS)


@pytest.fixture
def workers(media_root):
    """Starts real Celery workers on the test database and Redis: `workers(name)`; stops them
    and empties the broker after the test."""
    flush_broker()
    started = []

    def start(name: str = "worker", concurrency: int = 1) -> Worker:
        started.append(Worker(media_root, name, concurrency))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()
    flush_broker()


@pytest.fixture
def judged(clip):
    """Judgments on three comparisons of one clip and a control, by annotators a, b and c.
    C12: s1, s1, s2 -> s1 (2 of 3). C23: s2, tie, s3 -> an even split, s2 once c is out.
    C13: tie, both poor, s1 -> s1 with 1 of 3. Control: a and b right, c wrong."""
    from dser.jobs import Status
    from rendering.models import Comparison, EmotionSequence
    from rendering.scheduling import comparison_for, unlikely_timeline
    from tests.support import annotators, sequence, vote

    s1, s2, s3 = sequence(clip, 0.5, "joy"), sequence(clip, 0.7, "anger"), sequence(clip, 0.9, "sadness")
    c12, c23, c13 = (Comparison.objects.create(clip=clip, left=x, right=y, status=Status.DONE)
                     for x, y in ((s1, s2), (s2, s3), (s1, s3)))
    # The control as the render pipeline makes one: s1 against the emotion it weighs least, held.
    worse = EmotionSequence.objects.create(clip=clip, checkpoint=s1.checkpoint, checkpoint_hash=s1.checkpoint_hash,
                                           window_s=s1.window_s, stride_s=s1.stride_s, kind=EmotionSequence.Kind.UNLIKELY,
                                           timeline=unlikely_timeline(s1.get_timeline()).to_json())
    control = comparison_for(clip, s1, worse)
    Comparison.objects.filter(pk=control.pk).update(status=Status.DONE)
    assert (control.is_control, control.control_answer) == (True, "left")
    a, b, c = annotators("a", "b", "c")
    for comparison, choices in ((c12, "left left right"), (c23, "left tie right"), (c13, "tie both_poor left"),
                                (control, "left left right")):
        for user, choice in zip((a, b, c), choices.split()):
            vote(user, comparison, choice)
    return s1, s2, s3
