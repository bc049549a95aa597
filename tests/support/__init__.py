"""Helpers the tests share: paths, real servers and processes, store checks. Not tests."""
