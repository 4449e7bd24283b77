"""The package version, read by hatchling and by ``cognito_groups.__version__``."""

__version__ = "0.1.0"
