"""gradsym.lang — the expression language shared by the claims, the checker and the
declared cells.

==================  ==========================================================
``names``           the cells' vectors and parameters (``W_h``, ``h_prev``, …),
                    the sizes n and d, and their LaTeX in the notes' styles
``elementwise``     the tables of elementwise functions (σ, tanh, ReLU,
                    identity, exp, log, softplus, sqrt, abs, step; and of two
                    vectors: max, min, logaddexp, a/b, a^b): one row per
                    function with every fact about it (NumPy value and
                    derivative, SymPy form, LaTeX, text, spellings, NumPy
                    code, the function it is confused with)
``numpy_functions`` their NumPy values (the cells' hot loops use them too)
``functions``       the SymPy functions SymPy lacks (σ, ReLU, ReLU');
                    ``symbolic_table`` indexes the table's SymPy side
``matexpr``         the constructs SymPy lacks: diag(v), f(v) and f(a, b)
                    elementwise
``broadcast``       a scalar (1×1) among vectors, 𝟏 ζ
``notation``        the objects a derivation displays (∂a/∂b, ordered products,
                    norms, named matrices and scalars)
``parser``          the grammar of candidates and declared equations
``blocks``          block matrices and slices of the grammar
``visitor``         the one traversal every walk over expressions uses
``latex``, ``text``, ``numpy_code``
                    the printers: LaTeX in the notes' notation, plain text for
                    the terminal, NumPy code for a cell's Jacobians
==================  ==========================================================

Importing this package imports nothing else: each module is loaded when it is used.
"""
