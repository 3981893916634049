"""Helpers the template's tests share, each written once; fixtures stay in tests/conftest.py.

The test folders mirror a project's moments (start, review, release, monitoring); pytest puts
tests/ on sys.path (`pythonpath` in pyproject.toml), so every folder imports from here.
"""
