"""Clusters room: the all-purpose clusters a workspace has (/api/2.0 and 2.1 clusters/*)."""
