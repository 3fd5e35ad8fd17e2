import io
import shutil
from pathlib import Path

import pytest

from corpus.sources.demo import DemoCorpus, make_demo_corpus

# Fixtures that need the database, a server or generated media: a `pure` test may not use them.
IMPURE_FIXTURES = {"db", "transactional_db", "client", "admin_client", "live_server", "demo_corpus", "corpus_copy",
                   "clip", "pair_video", "judged"}


def pytest_collection_modifyitems(items):
    """Keep `make test-fast` honest: a test marked pure that reaches for the database or
    generated media is a collection error, not a slow surprise."""
    for item in items:
        if item.get_closest_marker("pure"):
            impure = IMPURE_FIXTURES & set(getattr(item, "fixturenames", ()))
            if impure or item.get_closest_marker("django_db"):
                raise pytest.UsageError(f"{item.nodeid} is marked pure but uses {sorted(impure) or 'the database'}")


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
    from tests.annotation import render_pair_video

    return render_pair_video(sorted(demo_corpus.crema_d.glob("*_NEU_XX.wav"))[0],
                             tmp_path_factory.mktemp("pair") / "pair.mp4")


@pytest.fixture
def judged(clip):
    """Judgments on three comparisons of one clip and a control, by annotators a, b and c.
    C12: s1, s1, s2 -> s1 (2 of 3). C23: s2, tie, s3 -> an even split, s2 once c is out.
    C13: tie, both poor, s1 -> s1 with 1 of 3. Control: a and b right, c wrong."""
    from rendering.models import Comparison, Status
    from tests.annotation import annotators, sequence, vote

    s1, s2, s3 = sequence(clip, 0.5, "joy"), sequence(clip, 0.7, "anger"), sequence(clip, 0.9, "sadness")
    reversed_s1 = sequence(clip, 0.5, "joy", kind="reversed")
    c12, c23, c13 = (Comparison.objects.create(clip=clip, left=x, right=y, status=Status.DONE)
                     for x, y in ((s1, s2), (s2, s3), (s1, s3)))
    control = Comparison.objects.create(clip=clip, left=s1, right=reversed_s1, status=Status.DONE, is_control=True,
                                        control_answer="left")
    a, b, c = annotators("a", "b", "c")
    for comparison, choices in ((c12, "left left right"), (c23, "left tie right"), (c13, "tie both_poor left"),
                                (control, "left left right")):
        for user, choice in zip((a, b, c), choices.split()):
            vote(user, comparison, choice)
    return s1, s2, s3
