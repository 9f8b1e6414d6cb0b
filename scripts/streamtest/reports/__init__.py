"""Four renderers of one list of step records: JUnit, job summary, annotations, outputs.

The runner decides each step's outcome while it runs (``records.Recorder``); renderers only
present what they are given, as pytest's junitxml plugin does.
"""
