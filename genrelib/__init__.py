"""genrelib: the package behind the runnable book on neural music genre classification.

Modules, in the order imports flow (each imports only those before it; the README's
"Where things live" says what each does):

``errors`` -> ``config`` -> ``atomic`` -> ``data`` -> ``audio`` -> ``features`` ->
``baselines`` -> ``models`` -> ``training`` -> ``evaluation`` -> ``experiments`` ->
``protocols``, ``split_length``, ``reproducibility`` -> ``predict`` -> ``book`` ->
``summary`` -> ``plots`` -> ``widgets`` -> ``chapters`` (one module per chapter, the only
package code the notebooks import) -> ``cli``.
"""

__version__ = "0.1.0"
