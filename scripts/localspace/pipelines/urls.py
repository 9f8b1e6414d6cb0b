"""Routes of the pipelines room: (method, path regex, responses method)."""
_P = r"/api/2\.0/pipelines"
_ID = r"/(?P<pipeline_id>[^/]+)"
URLS = [
    ("POST", _P, "create"),
    ("GET", _P, "list"),
    ("GET", _P + _ID, "get"),
    ("PUT", _P + _ID, "edit"),
    ("DELETE", _P + _ID, "delete"),
    ("POST", _P + _ID + r"/updates", "start_update"),
    ("GET", _P + _ID + r"/updates", "list_updates"),
    ("GET", _P + _ID + r"/updates/(?P<update_id>[^/]+)", "get_update"),
    ("POST", _P + _ID + r"/stop", "stop"),
    ("GET", _P + _ID + r"/events", "events"),
]
