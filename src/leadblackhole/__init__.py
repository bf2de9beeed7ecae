"""leadblackhole: replication package for Sabnis et al. (2013), "The Sales Lead Black Hole".

The data flow is schema and loading (:mod:`leadblackhole.data`) -> simulation
(:mod:`leadblackhole.simulation`) -> measurement (:mod:`leadblackhole.measurement`)
-> models (:mod:`leadblackhole.models`) -> effects and hypotheses
(:mod:`leadblackhole.effects`) -> the pipeline's steps, which join them
(:mod:`leadblackhole.pipeline`) -> reporting (:mod:`leadblackhole.reporting`).
The command line (:mod:`leadblackhole.cli`) and the Makefile only wire these together.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leadblackhole")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
