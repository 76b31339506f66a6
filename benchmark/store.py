"""SQLite results store (stdlib ``sqlite3``, WAL): runs, their metrics and artifacts.

A run is identified by (config hash, seed). Its metrics are written in the same
transaction that marks it done, so a killed process never leaves half a result,
and a finished run is never trained again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from .errors import BenchmarkError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    config_hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    suite TEXT NOT NULL, task TEXT NOT NULL, model TEXT NOT NULL, dataset TEXT NOT NULL,
    setting TEXT NOT NULL, profile TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'diverged', 'failed')),
    reason TEXT,
    started REAL, finished REAL, wall_seconds REAL,
    environment TEXT,
    UNIQUE (config_hash, seed)
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    setting TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    provenance TEXT NOT NULL,
    PRIMARY KEY (run_id, setting, metric)
);
CREATE TABLE IF NOT EXISTS artifacts (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (run_id, kind)
);
"""


class ResultsStore:
    def __init__(self, path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise BenchmarkError(f"results store {self.path} is unusable ({exc}); "
                                 "move it aside or pick another --out") from None
        except OSError as exc:
            raise BenchmarkError(f"cannot create results store {self.path}: {exc.strerror}"
                                 ) from None
        self.db.row_factory = sqlite3.Row

    def close(self):
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()

    def find(self, config_hash, seed):
        return self.db.execute("SELECT * FROM runs WHERE config_hash=? AND seed=?",
                               (config_hash, seed)).fetchone()

    def start(self, config, seed, environment):
        """Insert the run as 'running', or reset a failed/killed one for another attempt."""
        with self.db:
            self.db.execute(
                """INSERT INTO runs (config_hash, seed, suite, task, model, dataset, setting, """
                """profile,
                                     config, status, started, environment)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)
                   ON CONFLICT (config_hash, seed) DO UPDATE SET
                     status='running', reason=NULL, environment=excluded.environment""",
                (config.hash, seed, config.suite, config.task, config.model, config.dataset,
                 config.setting, config.profile, json.dumps(config.to_dict(), sort_keys=True),
                 time.time(), json.dumps(environment, sort_keys=True)))
        return self.find(config.hash, seed)["id"]

    def finish(self, run_id, status, wall_seconds, metrics=(), artifacts=None, reason=None):
        """Record the outcome; ``metrics`` are dicts with setting, metric, value, unit,
        provenance."""
        with self.db:
            self.db.execute("DELETE FROM metrics WHERE run_id=?", (run_id,))
            self.db.executemany(
                "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, m.get("setting", ""), m["metric"], float(m["value"]), m.get("unit", ""),
                  json.dumps(m.get("provenance", {}), sort_keys=True)) for m in metrics])
            self.db.executemany("INSERT OR REPLACE INTO artifacts VALUES (?, ?, ?)",
                                [(run_id, kind, str(path))
                                 for kind, path in (artifacts or {}).items()])
            self.db.execute("UPDATE runs SET status=?, reason=?, finished=?, wall_seconds=? "
                            "WHERE id=?", (status, reason, time.time(), wall_seconds, run_id))

    def discard(self, run_id):
        """Forget a run that was started but recorded nothing (skipped): it will run next time."""
        with self.db:
            self.db.execute("DELETE FROM artifacts WHERE run_id=?", (run_id,))
            self.db.execute("DELETE FROM runs WHERE id=? AND status='running'", (run_id,))

    def runs(self, status=None):
        query = "SELECT * FROM runs" + (" WHERE status=?" if status else "") + " ORDER BY id"
        return self.db.execute(query, (status,) if status else ()).fetchall()

    def metrics(self):
        """Every metric of every finished run, joined with the run's identity."""
        return self.db.execute(
            """SELECT r.id AS run_id, r.suite, r.task, r.model, r.dataset, r.profile, r.seed,
                      r.config_hash, m.setting, m.metric, m.value, m.unit, m.provenance
               FROM metrics m JOIN runs r ON r.id = m.run_id
               WHERE r.status = 'done' ORDER BY r.id, m.rowid""").fetchall()

    def artifacts(self, run_id):
        return {row["kind"]: row["path"] for row in
                self.db.execute("SELECT kind, path FROM artifacts WHERE run_id=?", (run_id,))}
