#!/usr/bin/env python3
"""The dashboard in a real browser: headless Chromium (Debian's package) against a real 3-node
cluster. The page of n3 shows an execution that heartbeats to n1, with its progress bar at the
right width and a container's markup shown as text; when the execution stops heartbeating it
shows LATE and then FAILED, with the failure's reason, without a reload. A screenshot of the
page is kept in $VIGIL_ARTIFACTS (default .build/test-artifacts).

    VIGIL_BIN=.build/debug/vigil scripts/tests/dashboard-browser.py
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecluster import Cluster, Failure, free_port, http  # noqa: E402
import websocket  # noqa: E402  (websocket-client, from PyPI)

BIN = os.path.abspath(os.environ.get("VIGIL_BIN", ".build/debug/vigil"))
ARTIFACTS = os.path.abspath(os.environ.get("VIGIL_ARTIFACTS", ".build/test-artifacts"))
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
c = Cluster("dashboard-browser", BIN, {"executions": {"heartbeat_timeout_s": 2, "check_interval_s": 0.5, "max_strikes": 3},
                                        "probes": {"enabled": False}, "timezone": "Asia/Shanghai"})
browser = None
try:
    if not BROWSER:
        c.fail("no chromium found (scripts/test installs Debian's chromium)")
    leader = c.start_all()
    c.step(f"cluster up, leader {leader}")
    execution = str(uuid.uuid4())

    def beat():
        status, _ = http("POST", c.http_ports["n1"], "/api/v1/monitoring/heartbeat", {
            "execution_id": execution, "container_id": "crawler-<b>7</b>", "status": "running", "timestamp": int(time.time()),
            "progress": {"percentage": 37.5, "current_stage": "<script>alert(1)</script>", "crawled_urls": 375, "total_urls": 1000}})
        if status != 200:
            c.fail(f"heartbeat to n1 answered {status}")

    beating = threading.Event()
    beating.set()

    def keep_beating():
        while beating.is_set():
            beat()
            time.sleep(0.3)

    beat()
    threading.Thread(target=keep_beating, daemon=True).start()
    port = free_port()
    profile = c.path("chromium-profile")
    browser = subprocess.Popen([BROWSER, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}",
                                "--window-size=1200,900", "about:blank"], stdout=subprocess.DEVNULL, stderr=open(c.path("chromium.log"), "w"))

    def targets():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=1) as r:
                return [t for t in json.loads(r.read()) if t.get("type") == "page"]
        except OSError:
            return None

    page = c.wait_for("chromium did not open its debugging port", 30, targets, every=0.2)[0]
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=10)
    ids = iter(range(1, 1_000_000))

    def cdp(method, **params):
        n = next(ids)
        ws.send(json.dumps({"id": n, "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv())
            if message.get("id") == n:
                if "error" in message:
                    c.fail(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(expression):
        result = cdp("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    cdp("Page.enable")
    cdp("Page.navigate", url=f"{c.url('n3')}/")
    probe = f"""(() => {{
        const r = document.querySelector('tr[data-id="{execution}"]');
        if (!r) return null;
        return {{status: r.querySelector('.badge').textContent, width: r.querySelector('.fill').style.width,
                 container: r.children[2].textContent, stage: r.querySelector(".bar").parentElement.textContent, loaded: performance.timeOrigin,
                 scripts: document.querySelectorAll('script').length,
                 marks: document.getElementById('marks').textContent}};
    }})()"""
    first = c.wait_for("n3's page did not show the execution heartbeating to n1", 15, lambda: evaluate(probe), every=0.2)
    if first["status"] != "RUNNING" or first["width"] != "37.5%":
        c.fail(f"n3's page shows {first}")
    if "<b>7</b>" not in first["container"] or "<script>alert(1)</script>" not in first["stage"] or first["scripts"] != 1:
        c.fail(f"a container's markup was not shown as text: {first}")
    loaded = first["loaded"]
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, "dashboard-n3-running.png"), "wb") as f:
        f.write(base64.b64decode(cdp("Page.captureScreenshot", format="png")["data"]))
    c.step(f"n3's page: RUNNING, progress bar {first['width']}, markup shown as text")

    beating.clear()
    time.sleep(0.35)
    stopped = time.time()
    late = c.wait_for("the page did not show LATE", 10, lambda: (x := evaluate(probe)) and x["status"] == "LATE" and x, every=0.1)
    c.step(f"LATE shown {time.time() - stopped:.1f} s after the last heartbeat")
    failed = c.wait_for("the page did not show FAILED", 15, lambda: (x := evaluate(probe)) and x["status"] == "FAILED" and x, every=0.1)
    c.step(f"FAILED shown {time.time() - stopped:.1f} s after the last heartbeat")
    marks = c.wait_for("the failure's reason did not appear", 5, lambda: (x := evaluate(probe)) and execution in x["marks"] and x["marks"], every=0.2)
    if "Heartbeat timed out 3 consecutive checks" not in marks:
        c.fail(f"the marks list lacks the reason: {marks[:300]}")
    if failed["loaded"] != loaded or late["loaded"] != loaded:
        c.fail("the page reloaded (it must update in place)")
    # The detail view: the failure's explanation.
    evaluate(f"document.querySelector('tr[data-id=\"{execution}\"] a').click()")
    detail = c.wait_for("the detail view did not open", 5, lambda: evaluate("document.getElementById('detail').hidden ? null : document.getElementById('detail-fields').textContent"), every=0.2)
    if "Heartbeat timed out" not in detail or "apparent clock skew" not in detail:
        c.fail(f"the detail view lacks the explanation: {detail[:300]}")
    with open(os.path.join(ARTIFACTS, "dashboard-n3-failed.png"), "wb") as f:
        f.write(base64.b64decode(cdp("Page.captureScreenshot", format="png")["data"]))
    # A phone-width screen: nothing wider than the screen but the table's own scroller.
    cdp("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
    time.sleep(1.2)
    overflow = evaluate("document.documentElement.scrollWidth - window.innerWidth")
    with open(os.path.join(ARTIFACTS, "dashboard-n3-phone.png"), "wb") as f:
        f.write(base64.b64decode(cdp("Page.captureScreenshot", format="png")["data"]))
    if overflow is None or overflow > 0:
        c.fail(f"at 390 px the page is {overflow} px wider than the screen")
    c.step(f"FAILED with its reason, no reload; fits a 390 px screen; screenshots in {ARTIFACTS}")
    ws.close()
    print(f"dashboard-browser: PASS in {time.time() - c.t0:.0f} s")
except Failure as failure:
    print(failure, file=sys.stderr)
    sys.exit(1)
finally:
    if browser and browser.poll() is None:
        browser.terminate()
        try:
            browser.wait(10)
        except subprocess.TimeoutExpired:
            browser.kill()
    c.close(extra_logs=["chromium"])
