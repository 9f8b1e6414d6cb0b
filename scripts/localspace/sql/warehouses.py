"""SQL warehouses and their states, without HTTP.

A warehouse exists only when the workspace has it (``serve --warehouse ID``). It is STOPPED
until the first statement or warehouses/{id}/start, STARTING for ``start_delay`` seconds, then
RUNNING (states as the SDK's sql.State names them); /stop stops it again. As with clusters,
the state is computed from the clock when asked, and a statement that needs the warehouse asks
``seconds_to_running`` and stays PENDING that long.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from localspace.errors import ResourceDoesNotExist


@dataclass
class Warehouse:
    id: str
    start_delay: float
    state: str = "STOPPED"
    ready_at: float = 0.0

    def refresh(self, now: float) -> None:
        if self.state == "STARTING" and now >= self.ready_at:
            self.state = "RUNNING"

    def to_dict(self, base_url: str) -> dict:
        host = base_url.split("://", 1)[-1]
        return {"id": self.id, "name": self.id, "state": self.state, "cluster_size": "2X-Small",
                "warehouse_type": "PRO", "enable_serverless_compute": True, "num_clusters": 1,
                "min_num_clusters": 1, "max_num_clusters": 1, "auto_stop_mins": 10,
                "num_active_sessions": 0, "creator_name": "localspace-user@example.com",
                "health": {"status": "HEALTHY" if self.state == "RUNNING" else "DEGRADED"},
                "odbc_params": {"hostname": host.split(":")[0], "path": f"/sql/1.0/warehouses/{self.id}",
                                "port": int(host.split(":")[1]) if ":" in host else 443, "protocol": "http"}}


class WarehousesModel:
    def __init__(self, warehouse_ids: tuple[str, ...], start_delay: float):
        self._lock = threading.Lock()
        self._warehouses = {wid: Warehouse(wid, start_delay) for wid in warehouse_ids}

    def _get(self, warehouse_id: str) -> Warehouse:
        warehouse = self._warehouses.get(warehouse_id)
        if warehouse is None:
            raise ResourceDoesNotExist(f"Warehouse {warehouse_id} does not exist.")
        warehouse.refresh(time.time())
        return warehouse

    def get(self, warehouse_id: str) -> Warehouse:
        with self._lock:
            return self._get(warehouse_id)

    def list(self) -> list[Warehouse]:
        with self._lock:
            return [self._get(w) for w in sorted(self._warehouses)]

    def start(self, warehouse_id: str) -> None:
        """STOPPED -> STARTING; starting a warehouse that runs or starts already is a no-op."""
        with self._lock:
            warehouse = self._get(warehouse_id)
            if warehouse.state == "STOPPED":
                warehouse.state, warehouse.ready_at = "STARTING", time.time() + warehouse.start_delay
                warehouse.refresh(time.time())

    def stop(self, warehouse_id: str) -> None:
        with self._lock:
            self._get(warehouse_id).state = "STOPPED"

    def seconds_to_running(self, warehouse_id: str) -> float:
        """For a statement: start the warehouse when it is stopped, and say how long until it runs."""
        self.start(warehouse_id)
        with self._lock:
            warehouse = self._get(warehouse_id)
            return max(0.0, warehouse.ready_at - time.time()) if warehouse.state == "STARTING" else 0.0
