# Databricks notebook source
# MAGIC %md
# MAGIC # SBIT: validate gold
# MAGIC
# MAGIC Compares the gold table and view, row by row, with what they must hold after the history load
# MAGIC (`iteration=0`) and after payload 1 and 2 (`iteration=1`, `2`); the expected rows were
# MAGIC computed by hand from the data sets (examples/sbit/README.md shows the arithmetic).
# MAGIC Exits with `{"status": "ok"}` or `{"status": "fail", "reason": ...}`.

# COMMAND ----------

# MAGIC %run ./config

# COMMAND ----------

import json

Conf = Config()
dbutils.widgets.text("iteration", "0", "0: the history, 1 and 2: the payloads")
iteration = dbutils.widgets.get("iteration")

# gym_summary: (gym, visits, members, minutes_in_gym)
GYMS = {
    "0": [(1, 2, 2, 80), (2, 2, 2, 70)],
    "1": [(1, 3, 3, 125), (2, 4, 4, 120)],
    "2": [(1, 4, 3, 145), (2, 4, 4, 120), (3, 2, 2, 70)],
}
# workout_bpm_summary: (user_id, workout_id, session_id, min_bpm, avg_bpm, max_bpm, num_recordings)
WORKOUTS_BEFORE = [(1, 1, 1, 110.0, 120.0, 130.0, 3), (3, 2, 1, 100.0, 120.0, 140.0, 2)]
WORKOUTS_1 = WORKOUTS_BEFORE + [(6, 3, 1, 115.0, 125.0, 135.0, 3), (1, 5, 2, 150.0, 155.0, 160.0, 2)]
WORKOUTS = {
    "0": WORKOUTS_BEFORE,
    "1": WORKOUTS_1,
    "2": WORKOUTS_1 + [(7, 4, 1, 100.0, 110.0, 120.0, 3), (9, 6, 1, 140.0, 150.0, 160.0, 3)],
}
if iteration not in GYMS:
    raise ValueError(f"iteration must be one of {sorted(GYMS)}, not {iteration!r}")


def rows(name, columns):
    found = spark.sql(f"SELECT {', '.join(columns)} FROM {Conf.table(name)}").collect()
    return sorted(tuple(round(value, 1) if isinstance(value, float) else value for value in row)
                  for row in found)


def difference(name, expected, actual):
    missing = sorted(set(expected) - set(actual))
    unexpected = sorted(set(actual) - set(expected))
    if not missing and not unexpected and len(expected) == len(actual):
        return None
    return f"{name}: missing {missing}, unexpected {unexpected} ({len(actual)} rows, {len(expected)} expected)"


problems = [problem for problem in (
    difference("gym_summary", GYMS[iteration],
               rows("gym_summary", ["gym", "visits", "members", "minutes_in_gym"])),
    difference("workout_bpm_summary", WORKOUTS[iteration],
               rows("workout_bpm_summary", ["user_id", "workout_id", "session_id", "min_bpm",
                                            "avg_bpm", "max_bpm", "num_recordings"])),
) if problem]

result = {"status": "fail", "reason": "; ".join(problems)} if problems else {"status": "ok"}
print(result)
dbutils.notebook.exit(json.dumps(result))
