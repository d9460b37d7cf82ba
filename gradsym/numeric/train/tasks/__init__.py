"""Seeded tasks for recurrent networks, with their trivial baselines.

``make_task(name, **kwargs)`` builds one by name; ``task.sample(batch_size, rng)``
returns a :class:`Batch` (x float64 (T, B, d), time-major, and its targets). See
:mod:`gradsym.numeric.train.tasks.base` for the target layouts.

========================  ==================  =========================================
name                      class               reference
========================  ==================  =========================================
``"adding"``              :class:`AddingHS`   Hochreiter & Schmidhuber 1997, Exp. 4
``"adding_le"``           :class:`AddingLe`   Le, Jaitly & Hinton 2015
``"copy"``                :class:`CopyMemory` Arjovsky, Shah & Bengio 2016
``"temporal_order"``      :class:`TemporalOrder`  Pascanu, Mikolov & Bengio 2013
``"echo"``                :class:`DelayedEcho`    (for truncated BPTT)
``"charlm"``              :class:`CharLM`     shipped public-domain text
``"agreement"``           :class:`Agreement`  Linzen, Dupoux & Goldberg 2016
========================  ==================  =========================================
"""

from __future__ import annotations

import inspect

from gradsym.errors import InvalidValueError, did_you_mean, unknown_name
from gradsym.numeric.train.tasks.agreement import Agreement, AgreementBatch
from gradsym.numeric.train.tasks.base import Batch, Task, one_hot
from gradsym.numeric.train.tasks.charlm import CharLM, corpus
from gradsym.numeric.train.tasks.synthetic import (
    AddingHS,
    AddingLe,
    CopyMemory,
    DelayedEcho,
    TemporalOrder,
)

__all__ = [
    "TASKS",
    "AddingHS",
    "AddingLe",
    "Agreement",
    "AgreementBatch",
    "Batch",
    "CharLM",
    "CopyMemory",
    "DelayedEcho",
    "Task",
    "TemporalOrder",
    "corpus",
    "make_task",
    "one_hot",
    "task_names",
]

TASKS: dict[str, type[Task]] = {
    cls.name: cls
    for cls in (AddingHS, AddingLe, CopyMemory, TemporalOrder, DelayedEcho, CharLM, Agreement)
}


def task_names() -> tuple[str, ...]:
    """The names :func:`make_task` knows."""
    return tuple(TASKS)


def make_task(name: str, **kwargs) -> Task:
    """The task called ``name`` built with ``kwargs`` (e.g. ``make_task("copy", delay=50)``).

    Raises UnknownNameError for an unknown name, InvalidValueError for an argument the
    task does not take or a non-positive length/size.
    """
    if name not in TASKS:
        raise unknown_name("task", name, TASKS)
    cls = TASKS[name]
    try:
        inspect.signature(cls).bind(**kwargs)
    except TypeError as exc:
        known = inspect.signature(cls).parameters
        hint = "".join(did_you_mean(k, known) for k in kwargs if k not in known)
        params = ", ".join(known)
        raise InvalidValueError(
            f"task {name!r} takes the arguments ({params}); {exc}{hint}"
        ) from exc
    return cls(**kwargs)
