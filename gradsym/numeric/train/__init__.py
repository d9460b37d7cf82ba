"""Training runs: the configuration (``config``), what it builds (``build``: the network,
the optimiser, the clipper), the loop (``trainer``), the run folder's files
(``run_files``), checkpoints (``checkpoint``) and the long-range tasks (``tasks``)."""

from gradsym.numeric.train.config import TrainConfig
from gradsym.numeric.train.run_files import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    METRICS_FILE,
    SUMMARY_FILE,
    read_metrics,
)
from gradsym.numeric.train.tasks import make_task
from gradsym.numeric.train.trainer import Trainer, TrainResult, inject_nonfinite, train

__all__ = [
    "CHECKPOINT_FILE",
    "CONFIG_FILE",
    "METRICS_FILE",
    "SUMMARY_FILE",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "inject_nonfinite",
    "make_task",
    "read_metrics",
    "train",
]
