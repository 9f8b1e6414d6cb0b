"""Unity Catalog room: catalogs, schemas, volumes and tables (/api/2.1/unity-catalog/*)."""
