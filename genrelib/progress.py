"""Progress bars: tqdm's own, with a notebook bar whose saved text shows where it ended.

In a notebook kernel tqdm draws an ipywidget. A saved notebook keeps, beside the widget,
the text a reader sees without widgets: tqdm's text at the moment the bar appeared, that
is "0%" for every bar of a chapter executed with papermill. :class:`tqdm` here displays
its widget under a display id and, when it closes, replaces that output with its final
state ("100%|...| 100/100"), or with nothing for a bar that does not stay (``leave=False``).
Outside a notebook it is ``tqdm.auto.tqdm`` unchanged (text on the terminal).

Notebook: every chapter that shows progress (through the modules that loop over clips,
chunks, epochs and runs).
"""

from __future__ import annotations

import sys

from tqdm.auto import tqdm as _auto_tqdm

__all__ = ["tqdm"]


def _saving_notebook_bar(base: type) -> type:
    """``base`` (tqdm's notebook bar) leaving its final state, not its first, when saved."""

    class NotebookBar(base):
        def __init__(self, *args, **kwargs) -> None:
            kwargs.pop("display", None)
            super().__init__(*args, display=False, **kwargs)
            self._handle = None
            if not self.disable and getattr(self, "container", None) is not None:
                from IPython.display import display

                self._handle = display(self.container, display_id=True)
                self.displayed = True

        def close(self) -> None:
            """Close the bar, then write its final text (or nothing) into its output."""
            if self.disable:
                return
            super().close()
            if self._handle is not None:
                if self.leave:
                    self._handle.update(self.container)
                else:
                    self._handle.update({"text/plain": ""}, raw=True)
                self._handle = None

    NotebookBar.__name__ = NotebookBar.__qualname__ = "tqdm"
    return NotebookBar


def _in_notebook(bar: type) -> bool:
    """Whether tqdm.auto chose its notebook bar (it imports tqdm.notebook only then)."""
    notebook = sys.modules.get("tqdm.notebook")
    return notebook is not None and issubclass(bar, notebook.tqdm_notebook)


tqdm = _saving_notebook_bar(_auto_tqdm) if _in_notebook(_auto_tqdm) else _auto_tqdm
"""The progress bar every genrelib loop uses (a drop-in ``tqdm.auto.tqdm``)."""
