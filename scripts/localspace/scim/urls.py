"""Routes of the SCIM room (only the current user)."""
URLS = [
    ("GET", r"/api/2\.0/preview/scim/v2/Me", "me"),
]
