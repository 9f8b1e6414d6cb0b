"""Routes of the jobs room: (method, path regex, responses method). Both API versions."""
_V = r"/api/(?P<version>2\.[12])/jobs"
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
