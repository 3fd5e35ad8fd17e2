"""What an admin chooses when scheduling a render batch. The one home of these defaults: the
RenderBatch model's fields, the schedule form, `schedule_renders` and the scheduler read them
from `ScheduleOptions`. Plain Python (the form and the command build one, the scheduler checks it).
"""
from dataclasses import dataclass

from dser.windows import DEFAULT_MIN_DISTANCE_S
from emotion.defaults import DEFAULT_TEMPERATURE

MAX_SEQUENCES = 10
# The schedule form suggests this share of control comparisons (annotators are qualified on
# them); scripts that name no share get none, as they always did.
SUGGESTED_CONTROLS = 0.1


@dataclass(frozen=True)
class ScheduleOptions:
    checkpoint: str = ""  # stage-1 checkpoint directory; "" is DSER_STAGE1_CHECKPOINT
    dataset: str = ""  # only clips of this dataset ("" any)
    split: str = ""  # only clips of this split ("" any)
    clip_ids: tuple[int, ...] = ()  # explicit clips (empty: the selection above)
    limit: int | None = None  # at most this many clips
    sequences: int = 5  # the paper's five sequences per clip
    pairs: int | None = None  # comparisons per clip, chosen reproducibly (None: every pair)
    seed: int = 0  # of the (window, stride) draw and the pair order
    priority: int = 5  # 0 lowest, 9 highest
    min_distance_s: float = DEFAULT_MIN_DISTANCE_S
    controls: float = 0.0  # share of clips that also get a control comparison
    overlap: int | None = None  # annotators per comparison (None: DSER_OVERLAP)
    min_difference: float | None = None  # floor on a pair's peak difference (None: DSER_MIN_DIFFERENCE)
    budget: int | None = None  # judgments its comparisons are served for (None: no limit)
    policy: str = ""  # a sequence model whose prediction and draws are the sequences ("": stage-1 windows)
    temperature: float = DEFAULT_TEMPERATURE  # a policy's draws: their concentration's divisor

    def check(self) -> None:
        """ValueError naming the first option out of range."""
        if not 2 <= self.sequences <= MAX_SEQUENCES:
            raise ValueError(f"sequences per clip must be between 2 and {MAX_SEQUENCES}")
        most = self.sequences * (self.sequences - 1) // 2
        if self.pairs is not None and not 1 <= self.pairs <= most:
            raise ValueError(f"pairs per clip must be between 1 and {most}")
        if not 0 <= self.controls <= 1:
            raise ValueError("the share of controls must be between 0 and 1")
        if not 0 <= self.priority <= 9:
            raise ValueError("priority must be between 0 and 9")
        if self.min_distance_s < 0:
            raise ValueError("the minimum distance must not be negative")
        if self.min_difference is not None and not 0 <= self.min_difference <= 1:
            raise ValueError("the minimum difference must be between 0 and 1")
        if self.budget is not None and self.budget < 1:
            raise ValueError("the judgment budget must be at least 1")
        if not self.temperature > 0:
            raise ValueError("the temperature must be positive")


DEFAULTS = ScheduleOptions()
