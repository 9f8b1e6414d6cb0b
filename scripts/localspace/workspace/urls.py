"""Routes of the workspace room: (method, path regex, responses method)."""
URLS = [
    ("POST", r"/api/2\.0/workspace/import", "import_"),
    ("GET", r"/api/2\.0/workspace/export", "export"),
    ("POST", r"/api/2\.0/workspace/mkdirs", "mkdirs"),
    ("GET", r"/api/2\.0/workspace/get-status", "get_status"),
    ("GET", r"/api/2\.0/workspace/list", "list"),
    ("POST", r"/api/2\.0/workspace/delete", "delete"),
]
