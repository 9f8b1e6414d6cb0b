"""HTTP side of the Unity Catalog room (catalogs, schemas, volumes, tables)."""
from __future__ import annotations

from localspace.unity.models import UnityModel
from localspace.web import Request


class UnityResponses:
    def __init__(self, model: UnityModel):
        self.model = model

    def create_catalog(self, req: Request) -> dict:
        return self.model.create_catalog(req.field("name", required=True), req.field("comment"))

    def list_catalogs(self, req: Request) -> dict:
        return {"catalogs": self.model.catalogs()}

    def get_catalog(self, req: Request) -> dict:
        return self.model.catalog(req.params["name"])

    def delete_catalog(self, req: Request) -> dict:
        self.model.delete_catalog(req.params["name"], req.field("force", bool, default=False))
        return {}

    def update_catalog(self, req: Request) -> dict:
        return self.model.update(self.model.catalog, req.params["name"], req.json())

    def create_schema(self, req: Request) -> dict:
        return self.model.create_schema(req.field("catalog_name", required=True), req.field("name", required=True),
                                        req.field("comment"))

    def list_schemas(self, req: Request) -> dict:
        return {"schemas": self.model.schemas(req.field("catalog_name", required=True))}

    def get_schema(self, req: Request) -> dict:
        return self.model.schema(req.params["name"])

    def delete_schema(self, req: Request) -> dict:
        self.model.delete_schema(req.params["name"], req.field("force", bool, default=False))
        return {}

    def update_schema(self, req: Request) -> dict:
        return self.model.update(self.model.schema, req.params["name"], req.json())

    def create_volume(self, req: Request) -> dict:
        return self.model.create_volume(req.field("catalog_name", required=True),
                                        req.field("schema_name", required=True), req.field("name", required=True),
                                        req.field("volume_type", default="MANAGED"), req.field("comment"))

    def list_volumes(self, req: Request) -> dict:
        return {"volumes": self.model.volumes(req.field("catalog_name", required=True),
                                              req.field("schema_name", required=True))}

    def get_volume(self, req: Request) -> dict:
        return self.model.volume(req.params["name"])

    def delete_volume(self, req: Request) -> dict:
        self.model.delete_volume(req.params["name"])
        return {}

    def update_volume(self, req: Request) -> dict:
        return self.model.update(self.model.volume, req.params["name"], req.json())

    def list_tables(self, req: Request) -> dict:
        return {"tables": self.model.tables(req.field("catalog_name", required=True),
                                            req.field("schema_name", required=True))}

    def get_table(self, req: Request) -> dict:
        return self.model.table(req.params["name"])

    def table_exists(self, req: Request) -> dict:
        return {"table_exists": self.model.table_exists(req.params["name"])}

    def delete_table(self, req: Request) -> dict:
        self.model.delete_table(req.params["name"])
        return {}
