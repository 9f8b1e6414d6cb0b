"""The field names of a pipelines/create body that a plan's ``pipeline:`` section may use.

Like ``jobsettings``: the Pipelines API answers a misspelled field far from the plan's line
(or ignores it), so the checker catches a ``librarys`` or ``continous`` up front. Names follow
the Pipelines API 2.0 reference (PipelineSpec, PipelineLibrary, PipelineCluster) as the
databricks-sdk's ``service/pipelines.py`` has them. ``id`` and ``dry_run`` are left out:
streamtest creates a new pipeline, for real.
"""
from __future__ import annotations

PIPELINE_SETTINGS = (
    "allow_duplicate_names", "budget_policy_id", "catalog", "channel", "clusters", "configuration",
    "continuous", "deployment", "development", "edition", "environment", "event_log", "filters",
    "gateway_definition", "ingestion_definition", "libraries", "name", "notifications", "parameters",
    "photon", "restart_window", "root_path", "run_as", "schema", "serverless", "serverless_compute_id",
    "storage", "tags", "target", "trigger", "usage_policy_id",
)

LIBRARY = ("file", "glob", "jar", "maven", "notebook", "whl")
LIBRARY_PATH = {"notebook": "path", "file": "path", "glob": "include"}   # the key that holds the path

CLUSTER = (
    "apply_policy_default_values", "autoscale", "aws_attributes", "azure_attributes", "cluster_log_conf",
    "custom_tags", "driver_instance_pool_id", "driver_node_type_id", "enable_local_disk_encryption",
    "gcp_attributes", "init_scripts", "instance_pool_id", "label", "node_type_id", "num_workers",
    "policy_id", "spark_conf", "spark_env_vars", "ssh_public_keys",
)

EDITIONS = ("CORE", "PRO", "ADVANCED")
CHANNELS = ("CURRENT", "PREVIEW")
