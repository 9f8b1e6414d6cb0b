"""Engines that execute notebooks and SQL for localspace (see base.py for the interface)."""
