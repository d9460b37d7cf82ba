"""gradsym.proofs — every claim of the notes as a checked derivation, and a checker for
users' own Jacobians. The only layer that joins gradsym.symbolic and gradsym.numeric.

    claims(ids=None)            the catalogue (one id per claim of the notes), as Claim objects
    verify(ids=None, seed=0)    run every step's checks → Report (.passed, .table(), .to_json())
    mutation_report(ids=None)   mutate what each step prints → the checks' mutation score
    check_jacobian(cell, candidate, of="h", wrt="h_prev", variant=None)  → Verdict
    entry_symbols(cell, n, d)   the entry symbols for an explicit candidate Matrix
    Claim, Step, Condition      a derivation, its steps (lhs, relation, rhs, justification,
                                hypotheses, where) and their conditions
    Exact, Sampled              the checkers: both evaluate the step they are given
    prose                       a claim's prose is LaTeX: check_prose, to_unicode, to_markdown
    bibliography                the lecture notes and papers the claims cite (\\cite keys)
"""

from .candidate import Verdict, check_jacobian, entry_symbols, parse_candidate, symbols
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
    "Verdict",
    "check_jacobian",
    "claims",
    "entry_symbols",
    "get",
    "parse_candidate",
    "symbols",
    "verify",
    "verify_claim",
]
