"""Where the repository's own files are, for the tests that read them."""

from pathlib import Path

#: The repository's root: README.md, figures/, derivations/, .ci/.
REPO = Path(__file__).resolve().parent.parent
