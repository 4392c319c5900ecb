#!/usr/bin/env python3
"""The postgres notification channel against a real PostgreSQL (issue 27).

A PostgreSQL started by the test (initdb into a temporary directory, as the `postgres` user when
run as root; 127.0.0.1 and a free port; scram-sha-256 password auth) holds seed 001's job table
`pipeline_task`. A 3-node cluster has a postgres channel for `execution.failed` whose statement
names event fields ($status, $reason, $execution_id, $last_heartbeat_utc), slowed by pg_sleep so
deliveries are in flight; 100 executions fail (one with an SQL-injection attempt for a message);
the leader is SIGKILLed after about 20 rows were updated. Then: 100 rows updated, 0 missing,
each error_log the execution's message verbatim, the table intact; the repeats (a statement run
twice for one event: the killed leader's unacknowledged deliveries) are reported.

Skipped with the reason when PostgreSQL's server binaries are missing (apt-get install postgresql).

    VIGIL_BIN=.build/debug/vigil scripts/tests/postgres-live.py
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure, free_port, http  # noqa: E402

BIN = os.path.abspath(os.environ.get("VIGIL_BIN", ".build/debug/vigil"))
PASSWORD = "s3cret-vigil"
STATEMENT = ("UPDATE pipeline_task SET status = CASE $status::text WHEN 'failed' THEN 2 WHEN 'completed' THEN 1 ELSE status END, "
             "error_log = $reason, last_heartbeat = $last_heartbeat_utc::timestamptz, deliveries = deliveries + 1 "
             "FROM (SELECT pg_sleep(0.03)) AS slow WHERE execution_id = $execution_id::uuid")
INJECTION = "boom'); DROP TABLE pipeline_task; --"


def server_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([shutil.which(name)] if shutil.which(name) else [])
    return found[-1] if found else None


class Postgres:
    """A throwaway PostgreSQL on 127.0.0.1."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "pg")
        self.port = free_port()
        os.makedirs(self.dir, mode=0o700)
        self.as_user = []
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(tmp, entry.pw_uid, entry.pw_gid)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        pwfile = os.path.join(tmp, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD)
        if self.as_user:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        self.run(server_bin("initdb"), "-D", self.dir, "-U", "vigil", "--pwfile", pwfile, "--auth-host=scram-sha-256",
                 "--auth-local=trust", "-E", "UTF8", "--no-instructions")
        self.run(server_bin("pg_ctl"), "-D", self.dir, "-l", os.path.join(tmp, "pg.log"), "-w", "-t", "30", "start",
                 "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {tmp} -c fsync=off -c max_connections=50")

    def run(self, *argv):
        p = subprocess.run([*self.as_user, *argv], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise Failure(f"postgres-live: FAIL: {' '.join(argv[:2])}: {p.stdout}{p.stderr}")

    def sql(self, text):
        p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U", "vigil", "-d", "postgres",
                            "-tA", "-F", "\t", "-c", text], capture_output=True, text=True, timeout=30, env=dict(os.environ, PGPASSWORD=PASSWORD))
        if p.returncode != 0:
            raise Failure(f"postgres-live: FAIL: psql {text[:60]}: {p.stderr}")
        return [line.split("\t") for line in p.stdout.splitlines() if line]

    def stop(self):
        subprocess.run([*self.as_user, server_bin("pg_ctl"), "-D", self.dir, "-m", "immediate", "stop"], capture_output=True, timeout=60)


def main():
    if not server_bin("initdb") or not server_bin("pg_ctl") or not shutil.which("psql"):
        print("postgres-live: skipping (PostgreSQL's initdb/pg_ctl/psql not found; apt-get install postgresql)", file=sys.stderr)
        return 0
    if os.geteuid() == 0 and not (shutil.which("runuser") and _has_user("postgres")):
        print("postgres-live: skipping (as root PostgreSQL must run as the postgres user, which is missing)", file=sys.stderr)
        return 0
    tmp = tempfile.mkdtemp(prefix="vigil-pg-test.")
    pg = None
    c = None
    try:
        pg = Postgres(tmp)
        pg.sql("CREATE TABLE pipeline_task (task_id serial PRIMARY KEY, pipeline_id integer, execution_id uuid UNIQUE, "
               "status integer NOT NULL DEFAULT 0, error_log text, last_heartbeat timestamp, create_time timestamp DEFAULT now(), "
               "deliveries integer NOT NULL DEFAULT 0)")
        ids = [str(uuid.uuid4()) for _ in range(100)]
        pg.sql("INSERT INTO pipeline_task (pipeline_id, execution_id) VALUES " + ",".join(f"(45, '{i}')" for i in ids))
        channel = {"name": "jobs", "type": "postgres", "events": ["execution.failed"], "timeout_s": 5,
                   "dsn": f"postgres://vigil:{PASSWORD}@127.0.0.1:{pg.port}/postgres", "statement": STATEMENT}
        c = Cluster("postgres-live", BIN, {"notifications": {"channels": [channel], "max_in_flight": 2, "first_retry_s": 0.2, "max_retry_s": 1},
                                           "probes": {"enabled": False}})
        leader = c.start_all()
        c.step(f"PostgreSQL on 127.0.0.1:{pg.port}, cluster up, leader {leader}")
        follower = next(n for n in c.ids if n != leader)
        messages = {e: (INJECTION if k == 0 else f"crawler {k} failed: HTTP 503") for k, e in enumerate(ids)}
        for e in ids:
            http("POST", c.http_ports[follower], "/api/v1/monitoring/heartbeat",
                 {"execution_id": e, "container_id": f"crawler-{e[:8]}", "status": "running", "timestamp": int(time.time())})
            status, _ = http("POST", c.http_ports[follower], "/api/v1/monitoring/completion",
                             {"execution_id": e, "container_id": f"crawler-{e[:8]}", "success": False, "result_data": None, "error_message": messages[e]})
            if status != 200:
                c.fail(f"completion of {e}: {status}")
        c.step("100 failed completions taken")
        updated = lambda: int(pg.sql("SELECT count(*) FROM pipeline_task WHERE status = 2")[0][0])  # noqa: E731
        seen = c.wait_for("the leader delivered nothing to PostgreSQL", 30, lambda: (n := updated()) >= 20 and n)
        c.kill(leader)
        c.step(f"SIGKILLed the leader {leader} with {seen}/100 rows updated")
        c.wait_for("not every row was updated after the leader's death", 90, lambda: updated() == 100, every=0.3)
        rows = pg.sql("SELECT execution_id, status, error_log, deliveries, last_heartbeat IS NOT NULL FROM pipeline_task")
        wrong = [r for r in rows if r[1] != "2" or r[2] != messages[r[0]] or r[4] != "t"]
        if len(rows) != 100 or wrong:
            c.fail(f"{len(rows)} rows, wrong: {wrong[:3]}")
        repeats = sum(int(r[3]) for r in rows) - 100
        status, body = http("GET", c.http_ports[follower], "/api/v1/notifications?state=undeliverable")
        if status != 200 or body["notifications"]:
            c.fail(f"undeliverable notifications: {status} {body}")
        print(f"postgres-live: 100/100 rows updated, 0 missing, {repeats} statement repeats "
              f"(the SIGKILLed leader's unacknowledged deliveries), table intact after {INJECTION!r}; "
              f"{len((body or {}).get('notifications', []))} undeliverable")
        print(f"postgres-live: PASS in {time.time() - c.t0:.0f} s")
        return 0
    finally:
        if c:
            c.close()
        if pg:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(failure, file=sys.stderr)
        sys.exit(1)
