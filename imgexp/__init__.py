"""imgexp: reproducible experiments on Docker image size for Python images.

>>> import imgexp
>>> results = imgexp.run(strategies=["base", "slim", "multi-stage"])
>>> results[["strategy", "size", "vs_baseline_pct", "verified"]]
>>> imgexp.waterfall(results)
"""

from __future__ import annotations

from importlib.metadata import version

from .attribution import smallest_working, waterfall
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
from .experiment import run
from .measure.scan import load_layers, load_packages
from .results import COLUMNS, load_results
from .settings import Settings

__version__ = version("imgexp")

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
