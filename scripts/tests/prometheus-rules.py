#!/usr/bin/env python3
"""deploy/prometheus and deploy/grafana checked (issue 27):

- `promtool check rules`, `promtool check config` and `promtool test rules` on the alerting rules;
- every metric the rules and the Grafana dashboard name is exported by a live node's /metrics
  (a real 3-node cluster on loopback: the leader, which also probes, and a follower).

Skipped with the reason when promtool is missing (Debian's `prometheus` package ships it).

    VIGIL_BIN=.build/debug/vigil scripts/tests/prometheus-rules.py
"""
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = os.path.join(ROOT, "deploy", "prometheus", "vigil-rules.yml")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "vigil-dashboard.json")
BIN = os.path.abspath(os.environ.get("VIGIL_BIN", ".build/debug/vigil"))
NAME = re.compile(r"\bvigil_[a-z0-9_]+")


def promtool(*args):
    p = subprocess.run(["promtool", *args], cwd=os.path.dirname(RULES), capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise Failure(f"prometheus-rules: FAIL: promtool {' '.join(args)}:\n{p.stdout}{p.stderr}")
    print(f"prometheus-rules: promtool {' '.join(args)}: ok")


def named_metrics():
    """Metric names in the rules' expressions and the dashboard's queries."""
    with open(RULES) as f:
        exprs = [line.split("expr:", 1)[1] for line in f if line.strip().startswith("expr:")]
    with open(DASHBOARD) as f:
        dash = json.load(f)
    exprs += [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [v.get("query", "") for v in dash["templating"]["list"] if isinstance(v.get("query"), str)]
    return sorted({m for e in exprs for m in NAME.findall(e)})


def exported(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    return {NAME.match(line).group(0) for line in text.splitlines() if NAME.match(line)}


def main():
    if not shutil.which("promtool"):
        print("prometheus-rules: skipping (no promtool; apt-get install prometheus)", file=sys.stderr)
        return 0
    promtool("check", "rules", os.path.basename(RULES))
    promtool("check", "config", "prometheus.yml")
    promtool("test", "rules", "vigil-rules.test.yml")
    names = named_metrics()
    c = Cluster("prom-rules", BIN, {"probes": {"interval_s": 0.5}})
    try:
        leader = c.start_all()
        follower = next(n for n in c.ids if n != leader)
        missing = {}
        for node in (leader, follower):
            have = c.wait_for(f"{node}'s /metrics has no probe metrics yet", 10,
                              lambda: (m := exported(c.url(node))) and (node != leader or "vigil_probe_latency_seconds_bucket" in m) and m)
            missing[node] = [n for n in names if n not in have]
        if any(missing.values()):
            c.fail(f"metrics named by the rules or the dashboard that a live node does not export: {missing}")
        print(f"prometheus-rules: {len(names)} metrics named by the rules and the dashboard, all exported by {leader} (leader) and {follower}")
        print("prometheus-rules: PASS")
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(failure, file=sys.stderr)
        sys.exit(1)
