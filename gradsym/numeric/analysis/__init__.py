"""Gradient flow and Lyapunov spectra of trained recurrent models (``gradsym analyze``).

==================  ================================================================
``analyze``         :func:`analyze` and :func:`compare`: everything below, per layer
                    and direction, for any model on any inputs
``lyapunov``        the Lyapunov spectrum by the QR (Benettin) method
``tangents``        one step of a cell and its Jacobian applied to a frame, fused
``flow``            ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ against the lag, without overflow
``gates``           gate distributions, saturation, the carry path ∏ f, ∏ (1 − u), ∏ z
``bound``           the notes' condition σ₁(W_h) < 1/γ on the weights at hand
``meanfield``       the mean-field λ₁ of random tanh networks (the tests' reference)
``units``           a model as the driven cells (layer, direction) it is made of
``sources``         models from objects, torch modules, run folders, checkpoints and
                    state_dict files
``data``            input sequences: a task, an array, Gaussian inputs
``probe``           the cheap λ₁ and lag-50 norm the trainer logs
``result``          :class:`Analysis`, :class:`Comparison` and their displays
==================  ================================================================
"""

from gradsym.numeric.analysis.analyze import AnalysisOptions, analyze, compare
from gradsym.numeric.analysis.data import Inputs, gaussian_inputs, load_array, task_inputs
from gradsym.numeric.analysis.flow import GradientFlow, gradient_flow
from gradsym.numeric.analysis.lyapunov import LyapunovSpectrum, lyapunov_spectrum
from gradsym.numeric.analysis.meanfield import mean_field
from gradsym.numeric.analysis.result import Analysis, Comparison, UnitAnalysis
from gradsym.numeric.analysis.sources import LoadedModel, load_models

__all__ = [
    "Analysis",
    "AnalysisOptions",
    "Comparison",
    "GradientFlow",
    "Inputs",
    "LoadedModel",
    "LyapunovSpectrum",
    "UnitAnalysis",
    "analyze",
    "compare",
    "gaussian_inputs",
    "gradient_flow",
    "load_array",
    "load_models",
    "lyapunov_spectrum",
    "mean_field",
    "task_inputs",
]
