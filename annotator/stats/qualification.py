"""Whether an annotator's votes count, from their checks in the order they answered them.

A check is a control answered (passed when the known better side was chosen and the answer
did not come before the video could be watched) or any answer given too fast (failed: nobody
watched the pair). A new annotator qualifies once `controls` checks are answered with at least
`pass_share` of them passed; they are blocked once `block_after` checks have failed while the
share passed is below `pass_share` (so a good annotator's rare slips never add up to a block);
the page warns after `warn_after` failed in a row. Pure: annotator/services.py feeds it the
answers and stores what it says on the annotator's Qualification row.
"""
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    controls: int = 5  # checks a new annotator answers before their votes count; 0 turns qualification off
    pass_share: float = 0.7
    every: int = 10  # after qualifying, a control about every this many answers
    warn_after: int = 2  # failed checks in a row
    block_after: int = 5  # failed checks, with the share passed below pass_share

    @property
    def on(self) -> bool:
        return self.controls > 0


@dataclass(frozen=True)
class Assessment:
    checks: int
    failed: int
    failed_in_row: int
    since_control: int  # answers since the last control (all of them if none)
    controls: int  # controls answered
    qualified: bool
    blocked: bool

    @property
    def passed_share(self) -> float | None:
        return (self.checks - self.failed) / self.checks if self.checks else None

    def reason(self, rules: Rules) -> str:
        """Why a blocked annotator is not served, in words an annotator and an admin read."""
        return (f"{self.failed} of {self.checks} checks failed (controls answered wrongly or answers given before "
                f"the video could be watched); at least {rules.pass_share:.0%} must pass")


def check_outcome(is_control: bool, right: bool, too_fast: bool) -> tuple[bool, bool | None]:
    """One answer as `assess` reads it: a control passes when right and not too fast; any
    other answer is no check, unless too fast (failed)."""
    if is_control:
        return True, right and not too_fast
    return False, False if too_fast else None


def assess(outcomes: Iterable[tuple[bool, bool | None]], rules: Rules, qualified: bool = False) -> Assessment:
    """`outcomes`: per answer in order, (was it a control, did it pass as a check: True, False,
    or None when it was no check). `qualified`: the annotator passed before (qualification is
    kept through a reinstatement; the checks counted here start after it)."""
    checks = failed = in_row = since_control = controls = 0
    blocked = False
    for is_control, passed in outcomes:
        since_control = 0 if is_control else since_control + 1
        controls += is_control
        if passed is None:
            continue
        checks += 1
        failed += not passed
        in_row = 0 if passed else in_row + 1
        below = (checks - failed) / checks < rules.pass_share
        qualified = qualified or (checks >= rules.controls and not below)
        blocked = blocked or (failed >= rules.block_after and below)
    return Assessment(checks, failed, in_row, since_control, controls, qualified, blocked)


def failing(assessment: Assessment, rules: Rules) -> bool:
    """Not qualified though enough checks were answered to qualify: more ordinary work would
    only be votes that do not count, so such an annotator is served checks alone. (One with
    fewer checks is served work when no control is left for them: their votes wait.)"""
    return not assessment.qualified and assessment.checks >= rules.controls


def control_due(assessment: Assessment, rules: Rules, annotator_id: int) -> bool:
    """Whether this annotator's next comparison should be a control: always while qualifying,
    then about every `rules.every` answers, the gap varied per annotator and control (±20%)
    so that nobody can count their way to the next one."""
    if not assessment.qualified:
        return True
    if rules.every <= 0:
        return False
    digest = hashlib.md5(f"{annotator_id}:{assessment.controls}".encode()).digest()
    spread = max(1, round(rules.every * 0.2))
    return assessment.since_control >= rules.every - 1 + digest[0] % (2 * spread + 1) - spread
