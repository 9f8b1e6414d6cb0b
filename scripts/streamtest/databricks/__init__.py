"""The Databricks client layer: the one home of Databricks knowledge in streamtest.

``workspace`` speaks HTTP (endpoints, request bodies, paging, "already gone" answers);
``runs``, ``statements`` and ``jobs`` turn the replies into small typed views (a run with its
life cycle, result, URL and task run id; a statement with its state, error, columns and
rows; a listed job with its tags); ``paths`` holds the workspace's path rules. Only ``workspace`` imports the HTTP client, so the plan
checker can use ``paths`` without pulling in the network.
"""
