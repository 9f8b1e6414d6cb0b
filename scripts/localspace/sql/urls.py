"""Routes of the SQL room (statements and warehouses): (method, path regex, responses method)."""
_S = r"/api/2\.0/sql/statements"
_W = r"/api/2\.0/sql/warehouses"
URLS = [
    ("POST", _S + r"/?", "execute"),
    ("GET", _S + r"/(?P<statement_id>[\w-]+)", "get"),
    ("GET", _S + r"/(?P<statement_id>[\w-]+)/result/chunks/(?P<chunk_index>\d+)", "chunk"),
    ("POST", _S + r"/(?P<statement_id>[\w-]+)/cancel", "cancel"),
    ("GET", _W + r"/?", "list_warehouses"),
    ("GET", _W + r"/(?P<warehouse_id>[\w-]+)", "get_warehouse"),
    ("POST", _W + r"/(?P<warehouse_id>[\w-]+)/start", "start_warehouse"),
    ("POST", _W + r"/(?P<warehouse_id>[\w-]+)/stop", "stop_warehouse"),
]
