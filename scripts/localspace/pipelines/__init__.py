"""Pipelines room: Lakeflow Declarative Pipelines (/api/2.0/pipelines/*), run by the engine."""
