"""genrelib: the package behind the runnable book on neural music genre classification.

The modules follow the book's chapters (see ``DESIGN.md`` in the shared folder):
``config`` -> ``data`` -> ``audio`` -> ``features`` -> ``baselines`` -> ``models`` ->
``training`` -> ``evaluation`` -> ``predict`` -> ``plots`` -> ``widgets`` -> ``book`` -> ``cli``.
"""

__version__ = "0.1.0"
