"""HTTP side of the clusters room: get, list, start."""
from __future__ import annotations

from localspace.clusters.models import ClustersModel
from localspace.web import Request


class ClustersResponses:
    def __init__(self, model: ClustersModel):
        self.model = model

    def get(self, req: Request) -> dict:
        return self.model.get(req.field("cluster_id", required=True)).to_dict()

    def list(self, req: Request) -> dict:
        clusters = [c.to_dict() for c in self.model.list()]
        return {"clusters": clusters} if clusters else {}

    def start(self, req: Request) -> dict:
        self.model.start(req.field("cluster_id", required=True))
        return {}
