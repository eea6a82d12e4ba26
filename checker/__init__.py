"""labcheck: grades the Pacemaker module 07 lab exercises over SSH."""

__version__ = "0.1.0"
