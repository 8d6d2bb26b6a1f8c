"""Local demo (`make run`): debug off so the demo looks like production, console e-mail."""

from .base import *  # noqa: F403

DEBUG = False
