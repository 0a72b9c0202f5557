"""hembesok: evaluation pipeline for Swedish extended postnatal home-visiting programmes."""

import os
from importlib import metadata

# The statistics are many small matrix products, where BLAS threads cost more than they gain
# and, on a machine whose cores are busy, spin: one thread each (set before numpy loads; a
# value the user set is kept).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

try:
    __version__ = metadata.version("hembesok")  # pyproject.toml is the one source of the version
except metadata.PackageNotFoundError:  # run from a source tree that is not installed
    __version__ = "0+unknown"
