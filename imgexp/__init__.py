"""imgexp: reproducible experiments on Docker image size for Python images.

>>> import imgexp
>>> results = imgexp.run(requirements="requirements/requirements.txt")
>>> results[["strategy", "size", "vs_baseline_pct", "verified"]]
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    BaseUnavailable,
    BuildFailed,
    CaBundleNotFound,
    DockerfilesNotFound,
    EngineUnavailable,
    ImgexpError,
    InvalidStrategy,
    NoStandinForPython,
    RequirementNotOnIndex,
    RequirementsNotFound,
    StandinBootstrapFailed,
    StrategyNotFound,
)
from .experiment import run
from .results import COLUMNS, load_results

__all__ = [
    "COLUMNS",
    "BaseUnavailable",
    "BuildFailed",
    "CaBundleNotFound",
    "DockerfilesNotFound",
    "EngineUnavailable",
    "ImgexpError",
    "InvalidStrategy",
    "NoStandinForPython",
    "RequirementNotOnIndex",
    "RequirementsNotFound",
    "StandinBootstrapFailed",
    "StrategyNotFound",
    "load_results",
    "run",
]
