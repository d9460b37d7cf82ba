"""The recurrent cells: one file each, with the forward step, the backward step and the
state Jacobian side by side (``rnn``, ``lstm``, ``gru``); what every cell shares
(``cell``); the live mapping of their parameters (``parameters``); the gated cells'
shared algebra (``gates``); and the one factory, :func:`make_cell` (``factory``). The
activations with their derivatives are rows of the function table,
:mod:`gradsym.lang.elementwise`."""

from gradsym.numeric.cells.cell import Cell, Gradients, Trace
from gradsym.numeric.cells.factory import cell_variants, make_cell
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN

__all__ = ["GRU", "LSTM", "RNN", "Cell", "Gradients", "Trace", "cell_variants", "make_cell"]
