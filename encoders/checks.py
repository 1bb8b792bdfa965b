"""Parameter validation shared by every layer: one family of checks, numpy only (no torch),
so the torch-free parts (the network spec, the CLI's help) can use it too.

Every check returns the value in its canonical Python type and raises ValueError naming the
parameter and the allowed range or choices.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def check(cond: bool, message: str) -> None:
    """ValueError(``message``) unless ``cond``."""
    if not cond:
        raise ValueError(message)


def is_number(value) -> bool:
    """True for a finite real number (Python or numpy int/float; not a bool)."""
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:   # an integer beyond float range, e.g. 10**400
        return False


def check_number(value, name: str, lo: float = -math.inf, hi: float = math.inf,
                 lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a float; ValueError naming ``name`` and the allowed range
    unless it is a finite number in the range (open ends excluded)."""
    ok = is_number(value)
    v = float(value) if ok else math.nan
    ok = ok and (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok:
        if hi == math.inf:
            rng = f"{'>' if lo_open else '>='} {lo:g}"
        elif lo == -math.inf:
            rng = f"{'<' if hi_open else '<='} {hi:g}"
        else:
            rng = f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise ValueError(f"{name} must be a finite number {rng}, got {value!r}")
    return v


def check_int(value, name: str, lo: int = 1, hi: int | None = None) -> int:
    """``value`` as an int; ValueError unless it is an integer in ``[lo, hi]`` (no upper bound
    when ``hi`` is None)."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    ok = ok and value >= lo and (hi is None or value <= hi)
    if not ok:
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be an integer {rng}, got {value!r}")
    return int(value)


def check_optional_int(value, name: str, lo: int = 1, hi: int | None = None) -> int | None:
    """None, or ``check_int(value, name, lo, hi)``."""
    if value is None:
        return None
    try:
        return check_int(value, name, lo, hi)
    except ValueError:
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be None or an integer {rng}, got {value!r}") from None


def check_bool(value, name: str) -> bool:
    """``value`` if it is a bool; ValueError otherwise."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def is_binary(arr, bipolar: bool = False) -> bool:
    """True when every entry of ``arr`` (a numpy array, anything ``np.asarray`` takes, or a
    torch tensor, checked on its device without importing torch) is 0 or 1 (-1, 0 or 1 when
    ``bipolar``); NaN never is. Integers and bools take the min/max test alone; floats then one
    comparison pass (on ``|arr|`` when bipolar). True for an empty array."""
    lo = -1 if bipolar else 0
    if hasattr(arr, "is_floating_point"):       # a torch tensor
        if arr.numel() == 0:
            return True
        integral = not (arr.is_floating_point() or arr.is_complex())
        if arr.is_complex():
            return bool(((arr == 0) | (arr == 1) | ((arr == -1) & bipolar)).all())
    else:
        arr = np.asarray(arr)
        if arr.size == 0:
            return True
        if arr.dtype.kind not in "biuf":      # complex, object: exact comparisons
            return bool(np.isin(arr, (-1, 0, 1) if bipolar else (0, 1)).all())
        integral = arr.dtype.kind in "biu"
    if not (float(arr.min()) >= lo and float(arr.max()) <= 1):   # NaN fails both; as floats: no uint8 wrap-around
        return False
    if integral:
        return True
    a = abs(arr) if bipolar else arr
    return not bool(((a != 0) & (a != 1)).any())


def check_binary(arr, name: str = "spikes", bipolar: bool = False, message: str | None = None) -> None:
    """ValueError unless ``is_binary(arr, bipolar)``: ``message`` if given, else
    ``"{name} must contain only values in (0, 1)"`` (``(-1, 0, 1)`` when ``bipolar``)."""
    if not is_binary(arr, bipolar):
        allowed = (-1, 0, 1) if bipolar else (0, 1)
        raise ValueError(message if message is not None else f"{name} must contain only values in {allowed}")


def check_choice(value, name: str, choices: Iterable):
    """``value`` if it is one of ``choices``; ValueError listing them otherwise."""
    choices = tuple(choices)
    if not any(value == c and type(value) is type(c) for c in choices):
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value
