"""The results store: DIR/trials.jsonl, one line per finished trial, appended by the driver as each ends.

A record is {key, number, params, status, metrics, error, seconds}; status is `done` (measured on its
board), `stopped` (halted by successive halving after the short training) or `failed` (its error recorded). A rerun
of the same search reads it back: finished trials are not rerun. The
same parameters sampled twice make two records (the second `cached`: it reused the first's result).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STATUSES = ("done", "stopped", "failed")


class ResultStore:
    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / "trials.jsonl"
        self.records: list[dict] = []
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut by an interruption: that trial simply runs again
                if record.get("status") in STATUSES:
                    self.records.append(record)

    def __len__(self) -> int:
        return len(self.records)

    def add(self, record: dict) -> None:
        record = {"number": len(self.records), **record}
        self.records.append(record)
        with self.path.open("a") as f:  # one whole line per write: a crash loses at most this trial
            f.write(json.dumps(record, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def all(self) -> list[dict]:
        return list(self.records)

    def done(self) -> dict[str, dict]:
        """Trial key -> metrics of every measured trial (a sampler proposing one again gets these)."""
        return {r["key"]: r["metrics"] for r in self.records if r["status"] == "done" and not r.get("cached")}
