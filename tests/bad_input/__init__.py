"""Tables of bad-input cases, one module per area of :mod:`ebmbook`; run by ``tests/test_bad_input.py``."""
