from django.core.management.base import CommandError

from rendering.management.commands import schedule_renders
from training.models import TrainingRun
from training.rounds import start_next_round


class Command(schedule_renders.Command):
    help = ("Start the round after a finished DPO run: a render batch whose sequences are candidates of the run's "
            "model (its prediction and draws), recorded as the next round. Takes schedule_renders' options but "
            "--policy and --checkpoint (the run's model is the policy). Prints the batch id.")

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, required=True, help="The finished DPO run whose model is the policy.")
        parser.add_argument("--same-clips", action="store_true",
                            help="The clips of the round the run was trained on (instead of --dataset/--clips...).")
        super().add_arguments(parser)

    def schedule(self, chosen, options):
        if chosen.policy or chosen.checkpoint:
            raise ValueError("the next round's policy is the run's model: leave out --policy and --checkpoint")
        try:
            run = TrainingRun.objects.select_related("export").get(pk=options["run"])
        except TrainingRun.DoesNotExist:
            raise CommandError(f"no DPO run {options['run']}") from None
        return start_next_round(run, chosen, same_clips=options["same_clips"]).batch
