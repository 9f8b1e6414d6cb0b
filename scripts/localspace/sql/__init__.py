"""SQL room: the Statement Execution API (/api/2.0/sql/statements) over the engine's SQL,
and the SQL warehouses statements run on (/api/2.0/sql/warehouses)."""
