"""Routes of the jobs room: (method, path regex, responses method). API 2.0 (legacy clients such
as databricks-cli 0.18 without --version=2.1), 2.1 and 2.2 share one set of handlers."""
_V = r"/api/(?P<version>2\.[012])/jobs"
URLS = [
    ("POST", _V + r"/create", "create"),
    ("GET", _V + r"/get", "get"),
    ("GET", _V + r"/list", "list"),
    ("POST", _V + r"/update", "update"),
    ("POST", _V + r"/reset", "reset"),
    ("POST", _V + r"/delete", "delete"),
    ("POST", _V + r"/run-now", "run_now"),
    ("POST", _V + r"/runs/submit", "submit"),
    ("GET", _V + r"/runs/get", "get_run"),
    ("GET", _V + r"/runs/get-output", "get_output"),
    ("POST", _V + r"/runs/cancel", "cancel"),
    ("POST", _V + r"/runs/cancel-all", "cancel_all"),
    ("GET", _V + r"/runs/list", "list_runs"),
    ("POST", _V + r"/runs/delete", "delete_run"),
]
