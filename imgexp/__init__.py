"""imgexp: reproducible experiments on Docker image size for Python images.

>>> import imgexp
>>> results = imgexp.run(strategies=["base", "slim", "multi-stage"])
>>> results[["strategy", "size", "vs_baseline_pct", "verified"]]
>>> imgexp.waterfall(results)
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from .errors import (
    BaseUnavailable,
    BuildFailed,
    BuildkitUnavailable,
    CaBundleNotFound,
    DockerfilesNotFound,
    EngineStopped,
    EngineUnavailable,
    ImageUnavailable,
    ImgexpError,
    InvalidBudget,
    InvalidStrategy,
    LedgerNotWritable,
    NoStandinForPython,
    RequirementNotOnIndex,
    RequirementsNotFound,
    StandinBootstrapFailed,
    StrategyNotFound,
)

if TYPE_CHECKING:
    from .attribution import smallest_working, waterfall
    from .experiment import run
    from .measure.scan import load_layers, load_packages
    from .results import COLUMNS, load_results
    from .settings import Settings

__version__ = version("imgexp")

#: each name of the API but the errors -> the module that defines it, imported when the name is first used (PEP
#: 562): a command (`imgexp inspect`, a measurement) imports only what it runs, not pandas, the builders, the charts
_HOMES = {
    **dict.fromkeys(("smallest_working", "waterfall"), ".attribution"),
    **dict.fromkeys(("run",), ".experiment"),
    **dict.fromkeys(("load_layers", "load_packages"), ".measure.scan"),
    **dict.fromkeys(("COLUMNS", "load_results"), ".results"),
    **dict.fromkeys(("Settings",), ".settings"),
}


__all__ = [
    "COLUMNS",
    "BaseUnavailable",
    "BuildFailed",
    "BuildkitUnavailable",
    "CaBundleNotFound",
    "DockerfilesNotFound",
    "EngineStopped",
    "EngineUnavailable",
    "ImageUnavailable",
    "ImgexpError",
    "InvalidBudget",
    "InvalidStrategy",
    "LedgerNotWritable",
    "NoStandinForPython",
    "RequirementNotOnIndex",
    "RequirementsNotFound",
    "Settings",
    "StandinBootstrapFailed",
    "StrategyNotFound",
    "__version__",
    "load_layers",
    "load_packages",
    "load_results",
    "run",
    "smallest_working",
    "waterfall",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'imgexp' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
