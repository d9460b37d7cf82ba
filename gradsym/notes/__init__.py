"""gradsym.notes — the claims of the notes, each a checked derivation: the engine (Claim,
Step, checks, evaluation, mutation testing), the catalogue, the prose and the bibliography.
It joins gradsym.symbolic and gradsym.numeric; the checker of users' own Jacobians
(:mod:`gradsym.checker`) builds on it. (The package is not called ``claims``:
``gradsym.claims`` is the function that lists them.)

    claims(ids=None)            the catalogue (one id per claim of the notes), as Claim objects
    verify(ids=None, seed=0)    run every step's checks → Report (.passed, .table(), .to_json())
    mutation_report(ids=None)   mutate what each step prints → the checks' mutation score
    Claim, Step, Condition      a derivation, its steps (lhs, relation, rhs, justification,
                                hypotheses, where) and their conditions
    Exact, Sampled              the checkers: both evaluate the step they are given
    prose                       a claim's prose is LaTeX: check_prose, to_unicode, to_markdown
    bibliography                the lecture notes and papers the claims cite (\\cite keys)
"""

from .catalogue import IDS, REGISTRY, claims, get
from .checks import Exact, Sampled
from .claim import SECTIONS, CheckResult, Claim, Condition, Step
from .evaluate import Model
from .verify import Report, Row, verify, verify_claim

__all__ = [
    "IDS",
    "REGISTRY",
    "SECTIONS",
    "CheckResult",
    "Claim",
    "Condition",
    "Exact",
    "Model",
    "Report",
    "Row",
    "Sampled",
    "Step",
    "claims",
    "get",
    "verify",
    "verify_claim",
]
