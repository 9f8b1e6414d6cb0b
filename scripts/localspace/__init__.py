"""localspace: a local stand-in for a Databricks workspace.

One room per API (jobs, workspace, files, sql, oauth), each with the moto shape:
``models.py`` holds state and operations (no HTTP), ``responses.py`` turns requests into
model calls and replies, ``urls.py`` is the routing table. Errors are classes in
``errors.py``. Notebooks and SQL run in an engine (``engine/``) behind one small interface,
so the python and spark engines are swappable.
"""
