"""All-purpose clusters and their states, without HTTP.

An all-purpose cluster outlives runs: it is TERMINATED until someone starts it (clusters/start,
or a run that names it as ``existing_cluster_id``), PENDING for ``cluster_start`` seconds, then
RUNNING (the SDK's compute.State lists the transitions). State is computed from the clock when
asked, so no thread ticks it along; a run that waits for a cluster asks ``seconds_to_running``.
The engine is every cluster's compute: only the start-up delay is emulated.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Optional

from localspace.errors import ClusterDoesNotExist, InvalidState

STATE_MESSAGES = {"PENDING": "Starting Spark", "RUNNING": "", "TERMINATED": "Inactive cluster terminated"}


# The Databricks Runtime localspace's all-purpose clusters report (and run their notebooks as:
# engine/spark_session.py runtime_conf).
SPARK_VERSION = "15.4.x-scala2.12"


@dataclass
class Cluster:
    cluster_id: str
    start_delay: float
    state: str = "TERMINATED"
    ready_at: float = 0.0                # time.time() at which PENDING becomes RUNNING
    start_time: int = 0
    terminated_time: int = 0

    def refresh(self, now: float) -> None:
        if self.state == "PENDING" and now >= self.ready_at:
            self.state = "RUNNING"

    def to_dict(self) -> dict:
        out = {"cluster_id": self.cluster_id, "cluster_name": self.cluster_id, "state": self.state,
               "state_message": STATE_MESSAGES[self.state], "cluster_source": "UI",
               "spark_version": SPARK_VERSION, "node_type_id": "localspace", "num_workers": 0,
               "creator_user_name": "localspace-user@example.com", "autotermination_minutes": 0,
               "data_security_mode": "USER_ISOLATION", "start_time": self.start_time}
        if self.state == "TERMINATED" and self.terminated_time:
            out["terminated_time"] = self.terminated_time
            out["termination_reason"] = {"code": "INACTIVITY", "type": "SUCCESS"}
        return out


class ClustersModel:
    def __init__(self, cluster_ids: tuple[str, ...], start_delay: float):
        self._lock = threading.Lock()
        self._clusters = {cid: Cluster(cid, start_delay) for cid in cluster_ids}

    def _get(self, cluster_id: Optional[str]) -> Cluster:
        cluster = self._clusters.get(cluster_id or "")
        if cluster is None:
            # The SDK maps this 400 to ResourceDoesNotExist (errors/overrides.py, "Cluster .* does not exist").
            raise ClusterDoesNotExist(f"Cluster {cluster_id} does not exist")
        cluster.refresh(time.time())
        return cluster

    def exists(self, cluster_id: str) -> bool:
        return cluster_id in self._clusters

    def get(self, cluster_id: Optional[str]) -> Cluster:
        with self._lock:
            return self._get(cluster_id)

    def list(self) -> list[Cluster]:
        with self._lock:
            return [self._get(cid) for cid in sorted(self._clusters)]

    def start(self, cluster_id: Optional[str]) -> None:
        """clusters/start: only a TERMINATED cluster starts (else INVALID_STATE, which the SDK's
        ensure_cluster_is_running expects from a cluster another caller already started)."""
        with self._lock:
            cluster = self._get(cluster_id)
            if cluster.state != "TERMINATED":
                raise InvalidState(f"Cluster {cluster_id} is in unexpected state {cluster.state.title()}.")
            self._begin(cluster)

    def _begin(self, cluster: Cluster) -> None:
        now = time.time()
        cluster.state, cluster.ready_at, cluster.start_time = "PENDING", now + cluster.start_delay, int(now * 1000)
        cluster.refresh(now)

    def seconds_to_running(self, cluster_id: str) -> float:
        """For a run on this cluster: start it if it is TERMINATED, and say how long until it runs."""
        with self._lock:
            cluster = self._get(cluster_id)
            if cluster.state == "TERMINATED":
                self._begin(cluster)
            return max(0.0, cluster.ready_at - time.time()) if cluster.state == "PENDING" else 0.0
