"""Routes of the Unity Catalog room: (method, path regex, responses method)."""
_U = r"/api/2\.1/unity-catalog"
_NAME = r"/(?P<name>[^/]+)"
URLS = [
    ("POST", _U + r"/catalogs", "create_catalog"),
    ("GET", _U + r"/catalogs", "list_catalogs"),
    ("GET", _U + r"/catalogs" + _NAME, "get_catalog"),
    ("DELETE", _U + r"/catalogs" + _NAME, "delete_catalog"),
    ("PATCH", _U + r"/catalogs" + _NAME, "update_catalog"),
    ("POST", _U + r"/schemas", "create_schema"),
    ("GET", _U + r"/schemas", "list_schemas"),
    ("GET", _U + r"/schemas" + _NAME, "get_schema"),
    ("DELETE", _U + r"/schemas" + _NAME, "delete_schema"),
    ("PATCH", _U + r"/schemas" + _NAME, "update_schema"),
    ("POST", _U + r"/volumes", "create_volume"),
    ("GET", _U + r"/volumes", "list_volumes"),
    ("GET", _U + r"/volumes" + _NAME, "get_volume"),
    ("DELETE", _U + r"/volumes" + _NAME, "delete_volume"),
    ("PATCH", _U + r"/volumes" + _NAME, "update_volume"),
    ("GET", _U + r"/tables", "list_tables"),
    ("GET", _U + r"/tables" + _NAME, "get_table"),
    ("GET", _U + r"/tables" + _NAME + r"/exists", "table_exists"),
    ("DELETE", _U + r"/tables" + _NAME, "delete_table"),
]
