"""A cell's parameters by name, and the one rule they follow: they are live.

A cell keeps its parameters in a few fused arrays (all recurrent blocks stacked, all input
blocks stacked, ...: one matrix product per step serves every gate), and ``cell.params``
maps each name of the notes (``W_f``, ``U_f``, ``b_f``, ...) to a view into them. Whatever
way a value gets there, the next forward, backward, step, step_backward and
state_jacobian compute with it:

    cell.params["W_f"][...] = W        written into the fused array through the view
    cell.params["W_f"][0] = row        likewise, one row
    cell.params["W_f"] = W             copied in (checked): the mapping keeps the view, so
                                       later writes into W do not reach the cell
    cell.params.update({...})          every value checked first, then all copied in
    cell.params = {...}                the same, and every parameter must be given

The cells never rebind the views, never keep a derived copy of the weights between calls
(the negated and per-gate operands of the hot loop are formed from the fused arrays at the
start of each pass), and so nothing can go stale. A value of the wrong shape or dtype, or
holding NaN or Inf, is refused with one line naming the parameter; the mapping never gains
or loses a name; the fused arrays themselves are read-only as a mapping (``cell.fused``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping

import numpy as np

from gradsym import display
from gradsym.errors import InvalidValueError, UnknownNameError, unknown_name
from gradsym.validate import check_array


class Parameters(MutableMapping):
    """Name → live view into a cell's storage (see the module docstring).

    ``owner`` names the cell in messages ("LSTM"); ``views`` maps each parameter name to
    its array, which is never rebound: assignment copies into it.
    """

    __slots__ = ("_owner", "_views")

    def __init__(self, owner: str, views: dict[str, np.ndarray]):
        self._owner = owner
        self._views = views

    def _target(self, name) -> np.ndarray:
        try:
            return self._views[name]
        except (KeyError, TypeError):
            raise unknown_name(f"parameter of {self._owner}", name, self._views) from None

    def __getitem__(self, name) -> np.ndarray:
        return self._target(name)

    def __contains__(self, name) -> bool:
        try:
            return name in self._views
        except TypeError:  # an unhashable key is no parameter name
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def _checked(self, name, value) -> tuple[np.ndarray, np.ndarray]:
        target = self._target(name)
        return target, check_array(f"parameter {name}", value, target.shape, target.dtype)

    def __setitem__(self, name, value) -> None:
        target, a = self._checked(name, value)
        target[...] = a  # NumPy copies through a temporary when a overlaps target

    def update(self, values=(), /, **more) -> None:
        """Copy every value in, all or none: each is checked before any is written."""
        items = list((values.items() if isinstance(values, Mapping) else values) or ())
        writes = [self._checked(name, value) for name, value in [*items, *more.items()]]
        if len(writes) > 1:
            # A value may be a view of another parameter written before it (W_i ← W_f,
            # then W_f ← …): every value is read before anything is written.
            writes = [
                (t, a.copy() if any(np.may_share_memory(a, u) for u, _ in writes) else a)
                for t, a in writes
            ]
        for target, a in writes:
            target[...] = a

    def replace(self, values: Mapping[str, np.ndarray]) -> None:
        """``cell.params = values``: every parameter must be given; all or none written."""
        if not isinstance(values, Mapping):
            raise InvalidValueError(
                f"the parameters of {self._owner} are a mapping name → array, "
                f"got {type(values).__name__}"
            )
        missing = [name for name in self._views if name not in values]
        if missing:
            raise UnknownNameError(
                f"missing parameter of {self._owner}: {', '.join(missing)}; replacing "
                "cell.params needs every parameter (cell.params.update(...) sets some)"
            )
        self.update(values)

    def __delitem__(self, name) -> None:
        self._target(name)  # an unknown name is reported as such
        raise InvalidValueError(
            f"parameters of {self._owner} cannot be removed (parameter {name}); "
            f"set its value instead: cell.params[{name!r}][...] = 0"
        )

    def __repr__(self) -> str:
        return f"{self._owner} parameters: {display.shapes(self._views, len(self._views))}"


class FusedArrays(dict):
    """The fused storage, kind → array ("W" → (G·n, n), ...), read-only as a mapping: the
    arrays are written in place (through ``cell.params`` or directly), never rebound."""

    def _refuse(self, *_args, **_kwargs):
        raise InvalidValueError(
            "cell.fused is read-only: its arrays are the parameters' storage; set a "
            "parameter through cell.params (cell.params['W_f'] = W) or write into an array"
        )

    __setitem__ = __delitem__ = __ior__ = _refuse
    update = pop = popitem = setdefault = clear = _refuse

    def __reduce__(self):  # copy and pickle without the refusing __setitem__
        return (FusedArrays, (dict(self),))


__all__ = ["FusedArrays", "Parameters"]
