"""The chapters layer: one module per chapter, the only package code notebooks import.

Notebook: every chapter (``c06b_music_transfer`` for 06b_music_transfer).
"""
