"""Routes of the SQL room: (method, path regex, responses method)."""
_S = r"/api/2\.0/sql/statements"
URLS = [
    ("POST", _S + r"/?", "execute"),
    ("GET", _S + r"/(?P<statement_id>[\w-]+)", "get"),
    ("GET", _S + r"/(?P<statement_id>[\w-]+)/result/chunks/(?P<chunk_index>\d+)", "chunk"),
    ("POST", _S + r"/(?P<statement_id>[\w-]+)/cancel", "cancel"),
]
