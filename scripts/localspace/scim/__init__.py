"""SCIM room: ``GET /api/2.0/preview/scim/v2/Me``, the caller as a SCIM user.

Bundle tooling reads ``workspace.current_user`` from this endpoint (``userName`` feeds
``${workspace.current_user.userName}`` and the development-mode name prefix), so a bundle
plan can be rehearsed on localspace as on a workspace."""
