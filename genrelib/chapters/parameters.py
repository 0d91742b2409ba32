"""A chapter's parameters as a contract: declared with types, checked before anything runs.

Each chapter declares its parameters in the cell tagged ``parameters`` as typed assignments
with a comment, the form ``papermill --help-notebook`` reads::

    profile: str = "auto"  # run size: auto, smoke, cpu or full
    data_dir: Optional[str] = None  # GTZAN folder; None: the downloaded clips

The annotations land in the notebook's ``__annotations__``; :func:`check_parameters` reads
them, finds the names papermill injected (its ``# Parameters`` cell, in the kernel's input
history), and stops the chapter with one line when a name is unknown (a typo such as
``song_dir``) or a value has the wrong type. A list parameter also accepts text with commas
(``-p models base_crnn,extended_crnn``) or a single value (``-p chunk_lengths 3``), as well
as a YAML list (``-y "chunk_lengths: [1, 3]"``).

A :class:`~genrelib.errors.GenrelibError` raised in a chapter kernel is shown as its one
line (``ConfigError: unknown profile 'bogus' ...``), not as a traceback through the
package: :func:`install_error_display`.

Notebook: every chapter (the first line of its setup cell runs through
:func:`genrelib.chapters.chapter_context`).
"""

from __future__ import annotations

import ast
import difflib
import types
import typing
from collections.abc import Mapping, MutableMapping

from genrelib.errors import ConfigError, GenrelibError

INJECTED_HEADER = "# Parameters"
"""First line of the cell papermill injects after the ``parameters`` cell."""


def injected_names(history: list[str]) -> list[str]:
    """Names assigned in the latest cell papermill injected (``# Parameters``), in order.

    Notebook: every chapter (through :func:`check_parameters`).

    Parameters
    ----------
    history : list of str
        The kernel's input history (IPython's ``In``).

    Returns
    -------
    list of str
        Empty when no parameters were injected (a chapter run by hand in JupyterLab).
    """
    for source in reversed(history):
        if source.lstrip().startswith(INJECTED_HEADER):
            tree = ast.parse(source)
            return [
                target.id
                for node in tree.body
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            ]
    return []


def _kind(annotation: object) -> tuple[object, bool]:
    """The annotation without ``Optional`` and whether ``None`` is allowed."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arms = [arm for arm in typing.get_args(annotation) if arm is not type(None)]
        return (arms[0] if len(arms) == 1 else annotation), type(None) in typing.get_args(
            annotation
        )
    return annotation, False


def _type_name(annotation: object) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _scalar(name: str, value: object, kind: type) -> object:
    """``value`` as ``kind`` (an int is a float; nothing else is converted)."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool):
        raise ConfigError(f"parameter {name} must be an int, got {value!r} (bool)")
    if kind is str and hasattr(value, "__fspath__"):
        return str(value)
    if not isinstance(value, kind):
        raise ConfigError(
            f"parameter {name} must be {_type_name(kind)}, got {value!r} ({type(value).__name__})"
        )
    return value


def _item(name: str, text: str, kind: type) -> object:
    """One element of a list given as text, read as ``kind``."""
    if kind is str or kind is object:
        return text
    try:
        return kind(text)
    except ValueError:
        raise ConfigError(
            f"parameter {name}: {text!r} is not {_type_name(kind)} (write a comma-separated "
            f"list such as 1,3 or a YAML list with -y)"
        ) from None


def check_value(name: str, value: object, annotation: object) -> object:
    """``value`` checked against ``annotation`` and normalised (a list from text with commas).

    Notebook: every chapter (through :func:`check_parameters`).

    Parameters
    ----------
    name : str
        The parameter, for the message.
    value : object
        Its value after papermill's injection.
    annotation : type
        Its declared type: ``str``, ``int``, ``float``, ``bool``, ``list[X]``, ``tuple[X, ...]``
        or ``Optional`` of one of these.

    Returns
    -------
    object
        The value, a list parameter as a list.

    Raises
    ------
    ConfigError
        One line naming the parameter, its type and the value given.
    """
    kind, optional = _kind(annotation)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"parameter {name} must be {_type_name(kind)}, got None")
    origin = typing.get_origin(kind) or kind
    if origin in (list, tuple):
        element = next(iter(typing.get_args(kind)), object)
        if isinstance(value, str):
            items = [
                _item(name, part.strip(), element) for part in value.split(",") if part.strip()
            ]
        elif isinstance(value, list | tuple):
            items = [
                _scalar(name, item, element) if element is not object else item for item in value
            ]
        else:
            items = [_scalar(name, value, element) if element is not object else value]
        if not items:
            raise ConfigError(f"parameter {name} must list at least one value, got {value!r}")
        return items
    if kind is object:
        return value
    return _scalar(name, value, kind)


def check_parameters(namespace: MutableMapping[str, object]) -> dict[str, object]:
    """Check a chapter's parameters in ``namespace`` (its ``globals()``); normalise them there.

    Names injected by papermill that the ``parameters`` cell does not declare stop the
    chapter (with the closest declared name); each declared parameter's value is checked
    against its annotation (:func:`check_value`) and written back normalised. In a kernel,
    a user error is from then on shown as its one line (:func:`install_error_display`).

    Notebook: every chapter (through :func:`genrelib.chapters.chapter_context`).

    Parameters
    ----------
    namespace : mutable mapping
        The notebook's global names: ``__annotations__`` (the declared parameters) and
        ``In`` (the input history, where papermill's injected cell is).

    Returns
    -------
    dict
        The declared parameters and their checked values.

    Raises
    ------
    ConfigError
        For an unknown parameter or a value of the wrong type: one line naming it.
    """
    install_error_display()
    declared: Mapping[str, object] = namespace.get("__annotations__", {})
    history = namespace.get("In", [])
    unknown = [name for name in injected_names(list(history)) if name not in declared]
    if unknown and declared:
        name = unknown[0]
        close = difflib.get_close_matches(name, list(declared), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(
            f"unknown parameter {name}{hint}: this chapter's parameters are "
            f"{', '.join(declared)}; see `papermill --help-notebook <chapter>`"
        )
    checked = {}
    for name, annotation in declared.items():
        if name in namespace:
            checked[name] = namespace[name] = check_value(name, namespace[name], annotation)
    return checked


def _one_line(shell, etype, value, tb, tb_offset=None) -> list[str]:  # noqa: ANN001 (IPython API)
    """IPython's handler of a :class:`GenrelibError`: its one line instead of a traceback.

    The line is published as the cell's error output (so papermill still stops there).
    """
    line = f"{etype.__name__}: {value}"
    shell._showtraceback(etype, value, [line])
    return [line]


def notebook_namespace() -> MutableMapping[str, object] | None:
    """The global names of the notebook running this code, or ``None`` outside IPython.

    Notebook: every chapter (through :func:`genrelib.chapters.chapter_context`).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return None if shell is None else shell.user_ns


def install_error_display() -> None:
    """In an IPython kernel, show every :class:`GenrelibError` as its one line.

    The cell still fails (papermill stops at it); the reader sees what to do, not a
    traceback through the package. Outside IPython this does nothing.

    Notebook: every chapter (through :func:`genrelib.chapters.chapter_context`).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((GenrelibError,), _one_line)
