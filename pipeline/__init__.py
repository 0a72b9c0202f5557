"""hembesok: evaluation pipeline for Swedish extended postnatal home-visiting programmes."""

from importlib import metadata

try:
    __version__ = metadata.version("hembesok")  # pyproject.toml is the one source of the version
except metadata.PackageNotFoundError:  # run from a source tree that is not installed
    __version__ = "0+unknown"
