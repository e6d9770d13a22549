"""Human-readable sizes, formatted exactly as the docker CLI prints them."""

from __future__ import annotations

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def human_size(size: float, precision: int = 3) -> str:
    """Format bytes the way `docker images` does (go-units HumanSizeWithPrecision, 1000-based).

    >>> human_size(1_381_000_000)
    '1.38GB'
    >>> human_size(829_000_000)
    '829MB'
    """
    value = float(size)
    unit = 0
    while value >= 1000.0 and unit < len(_UNITS) - 1:
        value /= 1000.0
        unit += 1
    return f"{value:.{precision}g}{_UNITS[unit]}"
