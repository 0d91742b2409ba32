"""The chapters rebuilt as lessons, shared by the exercise tests and the site tests.

A lesson opens with its frame and ends with a summary, has at least three exercises with
checked solutions (tests/test_exercises.py), and on the built site numbers its exercises in
the page with a collapsed solution each (tests/test_site.py).
"""

LESSONS: tuple[str, ...] = (
    "01_dataset",
    "02_preprocessing",
    "03_baselines",
    "04_base_crnn",
    "05_extended_crnn",
    "06_resnet_transfer",
    "06b_music_transfer",
    "07_split_length",
    "08_external_songs",
    "09_honest_evaluation",
    "10_reproducibility",
    "11_own_collection",
)
