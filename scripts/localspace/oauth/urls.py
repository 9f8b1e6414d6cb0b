"""Routes of the OAuth room: (method, path regex, responses method)."""
URLS = [
    ("GET", r"/\.well-known/databricks-config", "host_metadata"),
    ("GET", r"/oidc/\.well-known/oauth-authorization-server", "discovery"),
    ("POST", r"/oidc/v1/token", "token"),
    ("GET", r"/api/2\.0/preview/scim/v2/Me", "me"),
]
