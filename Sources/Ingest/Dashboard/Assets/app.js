// Vigil dashboard: polls this node's /api/v1/dashboard every second and redraws in place.
// Every value from a container is put into the page as text (textContent), never as HTML.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  let status = params.get("status") || "";
  let query = params.get("q") || "";
  let kind = params.get("kind") || "";
  let selected = params.get("execution");
  let timer = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v == null ? "" : String(v);
      else if (k === "style") node.style.cssText = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child) node.appendChild(child);
    return node;
  }

  function row(e) {
    const bar = el("div", { class: "bar", title: e.percentText }, el("div", { class: "fill", style: "width: " + e.percent + "%" }));
    const link = el("a", { href: "/?execution=" + encodeURIComponent(e.id), text: e.shortID });
    link.addEventListener("click", (event) => { event.preventDefault(); select(e.id); });
    return el("tr", { "data-id": e.id, class: "row-" + e.display },
      el("td", {}, el("span", { class: "badge status-" + e.display, text: e.displayLabel }),
        e.stalled ? el("span", { class: "badge status-stalled", title: "progress unchanged since " + e.stalledSince, text: "STALLED" }) : null),
      el("td", { class: "mono" }, link),
      el("td", { text: e.container }),
      el("td", { text: e.lastHeartbeat }),
      el("td", { text: e.age }),
      el("td", { text: e.strikes }),
      el("td", { title: e.rule, text: e.kind }),
      el("td", {}, bar, el("small", { text: (e.percentText + " " + (e.stage || "")).trim() })));
  }

  function render(d) {
    $("leader").textContent = d.leader || "none";
    $("term").textContent = d.term;
    $("quorum").textContent = d.quorum;
    $("paused").textContent = d.pausedText;
    $("store").textContent = d.storeText;
    $("updated").textContent = "updated " + d.now + " (" + d.timezone + ")";
    $("members").replaceChildren(...d.members.map((m) => el("li", { class: "chip state-" + m.state, title: m.http, text: m.id + " " }, el("small", { text: m.state }))));
    $("counts").replaceChildren(document.createTextNode(
      "running " + d.counts.running + " · late " + d.counts.late + " · completed " + d.counts.completed + " · failed " + d.counts.failed));
    const rows = d.executions.map(row);
    if (rows.length === 0) rows.push(el("tr", { class: "empty" }, el("td", { colspan: "8", text: "no executions match" })));
    $("rows").replaceChildren(...rows);
    const next = $("next");
    if (d.nextLink) { next.hidden = false; next.setAttribute("href", d.nextLink); } else { next.hidden = true; }
    $("marks").replaceChildren(...(d.marks.length ? d.marks.map((m) => el("li", {},
      el("span", { class: "mono", text: m.id }), document.createTextNode(" "), el("small", { text: m.at }), el("br"), el("small", { text: m.reason }))) : [el("li", { class: "muted", text: "none" })]));
    $("services").replaceChildren(...(d.services.length ? d.services.map((s) => el("li", {},
      el("b", { text: s.name }), document.createTextNode(" "), el("span", { class: "badge svc", text: s.status }), document.createTextNode(" "), el("small", { text: s.detail })))
      : [el("li", { class: "muted", text: "no probed services" })]));
    $("notifications").textContent = "notifications pending: " + d.notificationsPending;
  }

  function renderDetail(x) {
    const section = $("detail");
    if (!x) { section.hidden = true; return; }
    section.hidden = false;
    $("detail-id").textContent = x.execution_id;
    const fields = [["status", x.status + (x.status === "running" && x.strikes > 0 ? " (LATE, " + x.strikes + " strike(s))" : "")],
      ["container", x.container_id], ["registered", x.registered_at], ["last heartbeat", x.last_heartbeat],
      ["heartbeat age (s)", x.heartbeat_age_s], ["heartbeats", x.heartbeat_count], ["apparent clock skew (ms)", x.apparent_skew_ms],
      ["finished", x.finished_at], ["finished by", x.finished_by], ["failure", x.failure_reason], ["error", x.error_message],
      ["kind", x.kind], ["rule", x.rule ? JSON.stringify(x.rule) : null], ["stalled since", x.stalled ? x.stalled_since : null]];
    for (const [k, v] of Object.entries(x.progress || {})) fields.push(["progress." + k, typeof v === "object" ? JSON.stringify(v) : v]);
    if (x.result_data) fields.push(["result", JSON.stringify(x.result_data)]);
    $("detail-fields").replaceChildren(...fields.filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  }

  async function refresh() {
    const q = new URLSearchParams();
    if (status) q.set("status", status);
    if (query) q.set("q", query);
    if (kind) q.set("kind", kind);
    const after = params.get("after");
    if (after) q.set("after", after);
    try {
      const response = await fetch("/api/v1/dashboard?" + q.toString(), { cache: "no-store" });
      if (response.ok) render(await response.json());
      if (selected) {
        const one = await fetch("/api/v1/executions/" + encodeURIComponent(selected), { cache: "no-store" });
        renderDetail(one.ok ? await one.json() : null);
      }
    } catch (error) {
      $("updated").textContent = "cannot reach this node: " + error;
    }
  }

  function select(id) {
    selected = id;
    const url = new URL(location.href);
    url.searchParams.set("execution", id);
    history.replaceState(null, "", url);
    refresh();
  }

  $("status").addEventListener("change", (event) => { status = event.target.value; refresh(); });
  $("kind").addEventListener("change", (event) => { kind = event.target.value; refresh(); });
  $("q").addEventListener("input", (event) => { query = event.target.value.trim(); clearTimeout(timer); timer = setTimeout(refresh, 200); });
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  refresh();
  setInterval(refresh, 1000);
})();
