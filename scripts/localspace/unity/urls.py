"""Routes of the Unity Catalog room: (method, path regex, responses method). Catalogs,
schemas and volumes have the same five routes; tables are read and dropped only."""
_U = r"/api/2\.1/unity-catalog"
_NAME = r"/(?P<name>[^/]+)"
URLS = [route for plural, one in (("catalogs", "catalog"), ("schemas", "schema"), ("volumes", "volume"))
        for route in (("POST", f"{_U}/{plural}", f"create_{one}"),
                      ("GET", f"{_U}/{plural}", f"list_{plural}"),
                      ("GET", f"{_U}/{plural}{_NAME}", f"get_{one}"),
                      ("DELETE", f"{_U}/{plural}{_NAME}", f"delete_{one}"),
                      ("PATCH", f"{_U}/{plural}{_NAME}", f"update_{one}"))] + [
    ("GET", _U + r"/tables", "list_tables"),
    ("GET", _U + r"/tables" + _NAME, "get_table"),
    ("GET", _U + r"/tables" + _NAME + r"/exists", "table_exists"),
    ("DELETE", _U + r"/tables" + _NAME, "delete_table"),
]
