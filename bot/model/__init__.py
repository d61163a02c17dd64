"""Plain data: frozen dataclasses that services return and renderers read.

Imports nothing of the project but the domain (and its errors and ids).
"""
