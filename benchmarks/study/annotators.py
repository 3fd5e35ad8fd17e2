"""Simulated annotators: scripts with API tokens that judge real comparisons through
/api/v1/, as a labelling vendor's tool would. Each prefers the side whose sequence is closer
to the clip's true timeline (an oracle a human has by watching), answers the other way with
probability `error_rate` on close calls (not when the two differ by OBVIOUS_MAE or more: a
control, say, is plain to anyone watching), says "tie" (no preference) when the two are within
TIE_MAE, and a biased one answers "left" whatever it sees: the controls and agreement figures
must expose it. The policy rounds (benchmarks/study/policies.py) add one who answers at random
and one who answers before the video ends; there everyone else "watches" each pair for
`watch_share` of its length before answering (the server's DSER_MIN_WATCH_SHARE is set to
match: the study's clock runs faster than a person's). One who answers `segments` also answers
each marked stretch the same way, on the two sequences' errors over that stretch ("same" where
a whole-clip answer would be "tie"), from a random stream of its own, so its whole-clip answers
are the ones it would give alone.
"""
import json
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

TIE_MAE = 0.01  # two sequences closer to each other's error than this look the same
OBVIOUS_MAE = 0.1  # two sequences this far apart: nobody careful picks the worse one


@dataclass
class SimulatedAnnotator:
    name: str
    token: str
    error_rate: float = 0.15
    always_left: bool = False
    random_answers: bool = False
    watch_share: float = 0.0  # of each video's length, waited before answering
    segments: bool = False  # answers each marked stretch too (segment votes)
    seed: int = 0
    created: list[int] = field(default_factory=list)  # ids of the judgments the API created
    refused: list[int] = field(default_factory=list)  # HTTP statuses of refusals

    def choose(self, left_error: float, right_error: float, rng: random.Random) -> str:
        if self.always_left:
            return "left"
        if self.random_answers:
            return rng.choice(("left", "right"))
        better = truer_side(left_error, right_error)
        if better == "tie" or abs(left_error - right_error) >= OBVIOUS_MAE:
            return better
        return ("right" if better == "left" else "left") if rng.random() < self.error_rate else better


    def stretch_answers(self, errors: dict[int, tuple[float, float]], rng: random.Random) -> list[dict]:
        """The API's `segments`: an answer per stretch, `errors`: stretch index -> (left, right) MAE."""
        same = {"tie": "same"}
        return [{"index": index, "choice": same.get(choice, choice)}
                for index, pair in sorted(errors.items()) for choice in (self.choose(*pair, rng),)]


def truer_side(left_error: float, right_error: float) -> str:
    """The side closer to the truth, or "tie" when the two look the same."""
    if abs(left_error - right_error) < TIE_MAE:
        return "tie"
    return "left" if left_error < right_error else "right"


def call(base_url: str, method: str, path: str, token: str, body: dict | None = None,
         headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(base_url + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Budget:
    """Judgments a team may still give, shared by its threads (None: no limit)."""

    def __init__(self, limit: int | None = None):
        self.limit, self.spent, self.lock = limit, 0, threading.Lock()

    def left(self) -> bool:
        with self.lock:
            return self.limit is None or self.spent < self.limit

    def spend(self) -> None:
        with self.lock:
            self.spent += 1


def annotate(annotator: SimulatedAnnotator, base_url: str, errors: dict[int, tuple[float, float]],
             budget: Budget | None = None, stretch_errors: dict[int, dict] | None = None) -> None:
    """Ask for the next comparison, fetch the start of its video, answer; until none is left
    (or the team's budget is spent, or the server no longer serves this annotator).
    `errors`: comparison id -> the MAE of its left and right sequence to the truth;
    `stretch_errors`: comparison id -> {stretch index: the same over that stretch}."""
    rng = random.Random(f"{annotator.name}/{annotator.seed}")
    stretch_rng = random.Random(f"{annotator.name}/{annotator.seed}/stretches")
    budget = budget or Budget()
    while budget.left():
        status, payload = call(base_url, "GET", "/api/v1/comparisons/next", annotator.token)
        if status == 204:
            return
        if status != 200:
            raise RuntimeError(f"{annotator.name}: next comparison answered {status}: {payload[:200]!r}")
        served = json.loads(payload)
        video, _ = call(base_url, "GET", served["video"], annotator.token, headers={"Range": "bytes=0-1023"})
        if video != 206:
            raise RuntimeError(f"{annotator.name}: the video of comparison {served['id']} answered {video}")
        choice = annotator.choose(*errors[served["id"]], rng)
        answer = {"comparison": served["id"], "choice": choice, "watched_to_end": True,
                  "time_ms": int(served["duration_s"] * 1000)}
        if annotator.segments and served["segments"]:
            answer["segments"] = annotator.stretch_answers((stretch_errors or {})[served["id"]], stretch_rng)
        time.sleep(served["duration_s"] * annotator.watch_share)
        status, payload = call(base_url, "POST", "/api/v1/judgments", annotator.token, answer)
        if status == 201:
            annotator.created.append(json.loads(payload)["id"])
            budget.spend()
        else:
            annotator.refused.append(status)


def annotate_all(annotators: list[SimulatedAnnotator], base_url: str, errors: dict, budget: int | None = None,
                 stretch_errors: dict | None = None) -> None:
    """All annotators at once, each in its own thread, as a team works; at most about `budget`
    judgments in all (a thread that asked before the budget ran out still answers)."""
    shared = Budget(budget)
    failures = []

    def run(annotator: SimulatedAnnotator) -> None:
        try:
            annotate(annotator, base_url, errors, shared, stretch_errors)
        except Exception as error:  # reported below, after the others finish
            failures.append(error)

    threads = [threading.Thread(target=run, args=(a,)) for a in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
