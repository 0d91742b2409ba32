"""The chapters' kernels: local IPC sockets, for ``genrelib book run`` and for papermill.

Kept apart from :mod:`genrelib.book` because papermill loads :class:`BookEngine` through
its ``papermill.engine`` entry point while papermill itself is being imported: this
module imports only jupyter_client and papermill's engine base class.

Notebook: none (how every chapter's kernel is started).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import uuid
import weakref
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from papermill.engines import NBClientEngine

_MANAGERS: weakref.WeakSet[BookKernelManager] = weakref.WeakSet()
_MANAGERS_LOCK = threading.Lock()


class BookKernelManager(AsyncKernelManager):
    """The kernel of one chapter: IPC transport, and no interrupt when shutting an idle kernel.

    Over the default TCP transport every kernel logs "Kernel is running over TCP without
    encryption"; the chapters run on this machine only, so the kernel talks over local
    IPC sockets instead: files in Jupyter's runtime folder, named for this kernel alone
    (jupyter_client's default, ``kernel-ipc-<n>`` in the working folder, is shared by every
    kernel started there, so two chapters run at once would talk on each other's sockets).
    And jupyter_client interrupts a kernel (SIGINT) before asking it to shut down; papermill
    shuts kernels down only after the last cell, when they are idle, so that interrupt can
    only land in the kernel's event loop, which logs "KeyboardInterrupt caught in kernel".
    It is skipped.

    Notebook: used by ``genrelib book run`` (every chapter's kernel).
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("transport", "ipc")
        if kwargs["transport"] == "ipc" and "ip" not in kwargs:
            runtime = Path(jupyter_runtime_dir())
            runtime.mkdir(parents=True, exist_ok=True)
            kwargs["ip"] = str(runtime / f"genrelib-{uuid.uuid4().hex[:12]}-ipc")
        super().__init__(**kwargs)
        with _MANAGERS_LOCK:
            _MANAGERS.add(self)

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()


def stop_book_kernels() -> None:
    """Kill every chapter kernel of this process that is still running, with its children.

    For ``genrelib book run --jobs N``: its chapters run in threads, which nothing can
    interrupt, so when one chapter fails or the user presses Ctrl-C the kernels of the
    others are killed instead (the kernel's whole process group: a chapter's worker
    processes go with it); papermill then ends those chapters within a second or two
    rather than when their last cell is done. Safe to call from any thread.

    Notebook: none (``genrelib book run --jobs N``).
    """
    with _MANAGERS_LOCK:
        managers = list(_MANAGERS)
    for manager in managers:
        process = getattr(manager.provisioner, "process", None)
        if process is None or process.poll() is not None:
            continue
        group = getattr(manager.provisioner, "pgid", None)
        with contextlib.suppress(ProcessLookupError, PermissionError):  # ended meanwhile
            if group and hasattr(os, "killpg"):
                os.killpg(group, signal.SIGKILL)
            else:
                process.kill()


class BookEngine(NBClientEngine):
    """papermill's engine with :class:`BookKernelManager`: ``papermill --engine genrelib``.

    Plain papermill starts its kernel over TCP, and ipykernel then logs "Kernel is running
    over TCP without encryption" to the console; with this engine (registered as
    ``genrelib`` in papermill's ``papermill.engine`` entry points) a chapter runs as
    ``genrelib book run`` runs it, over local IPC sockets, and nothing is logged.

    Notebook: used by ``papermill --engine genrelib`` (any chapter).
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):  # noqa: ANN001, ANN206
        kwargs.setdefault("kernel_manager_class", BookKernelManager)
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
