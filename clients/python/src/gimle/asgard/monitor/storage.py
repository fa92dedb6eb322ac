"""The seed's import path: ``from gimle.asgard.monitor.storage import AsgardStorage`` keeps working."""

from asgard_storage import *  # noqa: F401,F403
from asgard_storage import __all__  # noqa: F401
