"""A helper module deployed beside the notebook: a workspace file, not a notebook."""
import json

NAME = "runtime helpers"


def settings() -> dict:
    # Relative to the notebook's folder, which is the working directory.
    with open("../conf/settings.json") as handle:
        return json.load(handle)
