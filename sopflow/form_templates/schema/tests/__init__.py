"""Tests for the pure form schema package."""
