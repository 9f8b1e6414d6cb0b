"""The field names of Databricks JobSettings that a plan's ``job:`` section may use.

jobs/create silently ignores some misspellings and rejects others with a message far from
the plan's line, so the checker catches a ``taskz`` or ``notebook_pathh`` up front. Names
follow the Jobs API 2.2 reference (JobSettings, Task, NotebookTask, JobCluster). A field
Databricks adds later needs one line here.
"""
from __future__ import annotations

JOB_SETTINGS = (
    "budget_policy_id", "continuous", "deployment", "description", "edit_mode",
    "email_notifications", "environments", "format", "git_source", "health", "job_clusters",
    "max_concurrent_runs", "name", "notification_settings", "parameters", "performance_target",
    "queue", "run_as", "schedule", "tags", "tasks", "timeout_seconds", "trigger",
    "webhook_notifications",
)

TASK = (
    "clean_rooms_notebook_task", "condition_task", "dashboard_task", "dbt_task", "depends_on",
    "description", "disable_auto_optimization", "disabled", "email_notifications",
    "environment_key", "existing_cluster_id", "for_each_task", "health", "job_cluster_key",
    "libraries", "max_retries", "min_retry_interval_millis", "new_cluster", "notebook_task",
    "notification_settings", "pipeline_task", "power_bi_task", "python_wheel_task",
    "retry_on_timeout", "run_if", "run_job_task", "spark_jar_task", "spark_python_task",
    "spark_submit_task", "sql_task", "task_key", "timeout_seconds", "webhook_notifications",
)

NOTEBOOK_TASK = ("base_parameters", "notebook_path", "source", "warehouse_id")
