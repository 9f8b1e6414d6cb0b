"""Files room: the Files API on /Volumes (raw bytes) and the legacy DBFS API (base64 JSON)."""
