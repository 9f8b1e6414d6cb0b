"""A pipeline's event log: what ``GET /api/2.0/pipelines/{id}/events`` pages through.

Events have the shape of the SDK's ``PipelineEvent`` plus ``details`` (the JSON the event log
schema documents per ``event_type``: create_update, update_progress, flow_progress with
``metrics`` and ``data_quality``; https://docs.databricks.com/aws/en/ldp/monitor-event-log-schema).
The filter language is the documented one (SDK ``list_pipeline_events``): ``level='INFO'``,
``level in ('ERROR', 'WARN')``, ``id='...'``, ``timestamp > '...'`` (>=, <, <=, =), joined by
AND; anything else is refused rather than ignored.
"""
from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
import threading
import uuid
from typing import Optional

from localspace.errors import InvalidParameterValue

LEVELS = ("INFO", "WARN", "ERROR", "METRICS")
MAX_RESULTS = 250
_CLAUSE = re.compile(
    r"\s*(?:(?P<field>level|id|timestamp)\s*(?P<op>>=|<=|=|>|<)\s*'(?P<value>[^']*)'"
    r"|level\s+in\s*\((?P<levels>[^)]*)\))\s*", re.IGNORECASE)


def iso(ms: int) -> str:
    """Epoch milliseconds as the event log writes a timestamp: 2024-03-05T11:12:13.456Z."""
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class EventLog:
    """Append-only, thread-safe; ``seq_no`` orders events written in the same millisecond."""

    def __init__(self, origin: dict):
        self._origin = origin
        self._events: list[dict] = []
        self._lock = threading.Lock()

    def add(self, event_type: str, message: str, *, level: str = "INFO", details: Optional[dict] = None,
            error: Optional[dict] = None, now_ms: int, **origin) -> dict:
        with self._lock:
            seq = len(self._events) + 1
            event = {"id": str(uuid.uuid4()),
                     "sequence": {"control_plane_seq_no": seq,
                                  "data_plane_id": {"instance": "localspace", "seq_no": seq}},
                     "origin": {**self._origin, **{k: v for k, v in origin.items() if v is not None}},
                     "timestamp": iso(now_ms), "message": message, "level": level,
                     "maturity_level": "STABLE", "event_type": event_type, "details": details or {}}
            if error is not None:
                event["error"] = error
            self._events.append(event)
            return event

    def events(self) -> list[dict]:
        with self._lock:
            return list(self._events)


def page(events: list[dict], *, filter_text: Optional[str], order_by: list[str], max_results: Optional[int],
         page_token: Optional[str]) -> dict:
    """One page of ``events`` (in log order) as list-pipeline-events answers it. Page tokens
    are cursors (the last event a page showed), so events written while a client pages
    through a running pipeline's log neither repeat nor go missing."""
    if max_results is not None and not 1 <= max_results <= MAX_RESULTS:
        raise InvalidParameterValue(f"max_results must be between 1 and {MAX_RESULTS}.")
    limit = max_results or 25
    cursor, direction = None, "next"
    if page_token:
        # The SDK sends the first call's filter and order_by again with each page_token.
        token_filter, token_order, cursor, direction = _decode(page_token)
        if (filter_text and filter_text != token_filter) or (order_by and order_by != token_order):
            raise InvalidParameterValue("page_token cannot be combined with another filter or order_by.")
        filter_text, order_by = token_filter, token_order
    descending = _descending(order_by)
    chosen = sorted((e for e in events if _matches(e, filter_text)), key=_key, reverse=descending)
    keys = [_key(e) for e in chosen]
    if cursor is None:
        start = 0
    elif direction == "next":
        start = next((i for i, k in enumerate(keys) if (k < cursor if descending else k > cursor)), len(keys))
    else:
        end = next((i for i, k in enumerate(keys) if (k <= cursor if descending else k >= cursor)), len(keys))
        start = max(0, end - limit)
    shown = chosen[start:start + limit]
    out: dict = {"events": shown}
    if start + limit < len(chosen):
        out["next_page_token"] = _encode(filter_text, order_by, _key(shown[-1]), "next")
    if start > 0 and shown:
        out["prev_page_token"] = _encode(filter_text, order_by, _key(shown[0]), "prev")
    return out


def _key(event: dict) -> list:
    return [event["timestamp"], event["sequence"]["control_plane_seq_no"]]


def _descending(order_by: list[str]) -> bool:
    if not order_by:
        return True  # "By default, events are returned in descending order by timestamp."
    if len(order_by) != 1 or not re.fullmatch(r"\s*timestamp(\s+(asc|desc))?\s*", order_by[0], re.IGNORECASE):
        raise InvalidParameterValue(f"Invalid order_by {order_by}: only 'timestamp asc' or 'timestamp desc'.")
    return not order_by[0].strip().lower().endswith("asc")


def _matches(event: dict, filter_text: Optional[str]) -> bool:
    if not filter_text or not filter_text.strip():
        return True
    for clause in re.split(r"\s+and\s+", filter_text.strip(), flags=re.IGNORECASE):
        found = _CLAUSE.fullmatch(clause)
        if found is None:
            raise InvalidParameterValue(f"Invalid filter: {filter_text!r}. Supported: level='INFO', "
                                        "level in ('INFO', 'WARN'), id='<event id>', timestamp > '<timestamp>'.")
        if found["levels"] is not None:
            wanted = {v.strip().strip("'").upper() for v in found["levels"].split(",")}
            if event["level"] not in wanted:
                return False
        elif not _compare(event, found["field"].lower(), found["op"], found["value"]):
            return False
    return True


def _compare(event: dict, field: str, op: str, value: str) -> bool:
    if field == "timestamp":
        left, right = event["timestamp"], _normal_time(value)
    else:
        left, right = event[field], value.upper() if field == "level" else value
        if op != "=":
            raise InvalidParameterValue(f"Invalid filter: {field} supports '=' only.")
    return {"=": left == right, ">": left > right, "<": left < right,
            ">=": left >= right, "<=": left <= right}[op]


def _normal_time(value: str) -> str:
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameterValue(f"Invalid timestamp in filter: {value!r}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return iso(int(moment.timestamp() * 1000))


def _encode(filter_text: Optional[str], order_by: list[str], cursor: list, direction: str) -> str:
    raw = json.dumps({"f": filter_text, "o": order_by, "k": cursor, "d": direction})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(token: str) -> tuple[Optional[str], list[str], list, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = [str(data["k"][0]), int(data["k"][1])]
        if data["d"] not in ("next", "prev"):
            raise ValueError(data["d"])
        return data["f"], list(data["o"]), cursor, data["d"]
    except (ValueError, KeyError, TypeError, IndexError, binascii.Error):
        raise InvalidParameterValue("Invalid page_token.") from None
