"""Routes of the clusters room (the SDK calls 2.1, older clients 2.0)."""
_C = r"/api/2\.[01]/clusters"
URLS = [
    ("GET", _C + r"/get", "get"),
    ("GET", _C + r"/list", "list"),
    ("POST", _C + r"/start", "start"),
]
