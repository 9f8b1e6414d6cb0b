"""streamtest: integration-test a Databricks streaming pipeline from CI.

The package is a pipeline of small rooms: ``plan`` reads and checks the YAML plan offline,
``client``/``auth``/``databricks`` talk to the workspace, ``runner`` drives the test flow,
``cleanup``/``state`` make sure nothing is left behind, and ``reports`` render one list of
step records as JUnit, a job summary, annotations and step outputs.
"""
__version__ = "0.1.0"
