"""OAuth room: token issue (client credentials, JWT token exchange), discovery, and the one
check every /api/ request passes (PAT or live OAuth access token)."""
