"""The NumPy side of gradsym; it never imports SymPy.

==================  ==========================================================
``cells/``          RNN, LSTM, GRU (forward, backward, state Jacobian side by
                    side), their gates and activations, and :func:`make_cell`
``nets/``           networks with full and truncated BPTT, stacked and
                    bidirectional models, losses, products of state Jacobians
``optim/``          clipping, optimisers, initialisers
``train/``          the training configuration, model building, the trainer,
                    run files, checkpoints and the long-range tasks
``analysis/``       gradient flow, Lyapunov spectra, gates and the notes' bound of
                    trained models (``gradsym analyze``)
``gradcheck``       central-difference gradient and Jacobian checks
``selfcheck``       the backend's own verification (what ``gradsym build`` reports)
``torch_exchange``  weights and gradients to and from PyTorch
==================  ==========================================================
"""
