"""Sequence models built from cells: the :class:`Network` (unrolling, full and truncated
BPTT, the loss on top), :class:`Stacked` and :class:`Bidirectional` models, the output
layer and losses, products of state Jacobians over spans, and :class:`BatchFirst` for
batch-major sequences."""

from gradsym.numeric.nets.batch_first import BatchFirst
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network, Truncation
from gradsym.numeric.nets.spans import jacobian_products
from gradsym.numeric.nets.stacked import Stacked

__all__ = [
    "BatchFirst",
    "Bidirectional",
    "Linear",
    "Network",
    "Stacked",
    "Truncation",
    "jacobian_products",
]
