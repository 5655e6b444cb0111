#include "admin/status_page.h"

namespace gantry::admin {
namespace {

// Request rates are computed in the page from two successive reads of the
// counters, so the server keeps no history for it.
const char kPage[] = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>gantry status</title>
<style>
body{font:13px/1.4 sans-serif;margin:1em;color:#222}
h1{font-size:18px;margin:0 0 .3em}
h2{font-size:15px;margin:1.2em 0 .3em}
table{border-collapse:collapse;margin-bottom:.6em}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left}
th{background:#e8e8f0}
tr.ready td.state{background:#cfc}
tr.drain td.state{background:#ffc}
tr.maint td.state{background:#fcc}
td.down{background:#f99}
#err{color:#a00}
button{font-size:12px}
</style></head>
<body>
<h1>gantry <span id="version"></span>, generation <span id="generation">?</span></h1>
<div>Token for actions: <input id="token" type="password" size="30" autocomplete="off">
 <span id="err"></span> <span id="updated"></span></div>
<div id="backends"></div>
<h2>Listeners</h2>
<table id="listeners"><thead><tr><th>name</th><th>bind</th><th>tls</th></tr></thead><tbody></tbody></table>
<h2>TLS certificates</h2>
<table id="certificates"><thead><tr><th>module</th><th>file</th><th>expires</th><th>days left</th></tr></thead><tbody></tbody></table>
<h2>Modules</h2>
<table id="modules"><thead><tr><th>name</th><th>module</th><th>version</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
const REFRESH_MS = 2000;
let last = {};  // "backend/server" -> [time ms, total, errors]
function esc(s){return String(s).replace(/[&<>"']/g,c=>"&#"+c.charCodeAt(0)+";");}
function cell(tr, text, cls){const td=document.createElement("td");td.textContent=text;if(cls)td.className=cls;tr.appendChild(td);return td;}
async function action(b, s, what, value){
  const body = what === "state" ? {state: value} : {weight: Number(value)};
  const r = await fetch("/api/backends/"+encodeURIComponent(b)+"/servers/"+encodeURIComponent(s)+"/"+what, {
    method: "POST", headers: {"Authorization": "Bearer " + document.getElementById("token").value,
                              "Content-Type": "application/json"}, body: JSON.stringify(body)});
  const j = await r.json().catch(() => ({}));
  document.getElementById("err").textContent = r.ok ? "" : (r.status + ": " + (j.error || ""));
  refresh();
}
function render(data){
  const now = Date.now();
  const root = document.getElementById("backends");
  root.textContent = "";
  document.getElementById("generation").textContent = data.generation;
  for (const be of data.backends) {
    const h = document.createElement("h2");
    h.textContent = "Backend " + be.name + " (" + be.balance + ")";
    root.appendChild(h);
    const t = document.createElement("table");
    t.className = "servers";
    t.dataset.backend = be.name;
    t.innerHTML = "<thead><tr><th>server</th><th>address</th><th>state</th><th>weight</th>" +
      "<th>active</th><th>req/s</th><th>requests</th><th>errors (5xx)</th><th>health</th>" +
      "<th>last change</th><th>actions</th></tr></thead>";
    const tb = document.createElement("tbody");
    for (const s of be.servers) {
      const key = be.name + "/" + s.name, total = s.requests.total, errors = s.requests["5xx"];
      let rate = "";
      if (last[key] && now > last[key][0]) rate = ((total - last[key][1]) * 1000 / (now - last[key][0])).toFixed(1);
      last[key] = [now, total, errors];
      const tr = document.createElement("tr");
      tr.className = s.state;
      tr.dataset.server = s.name;
      cell(tr, s.name, "name"); cell(tr, s.address); cell(tr, s.state, "state");
      cell(tr, s.weight, "weight"); cell(tr, s.active, "active"); cell(tr, rate, "rate");
      cell(tr, total, "requests"); cell(tr, errors, "errors");
      cell(tr, s.health + (s.ejected ? " (ejected)" : ""), s.health === "down" ? "down health" : "health");
      cell(tr, s.last_change_seconds_ago === null ? "-" : Math.round(s.last_change_seconds_ago) + "s ago");
      const act = cell(tr, "");
      for (const st of ["ready", "drain", "maint"]) {
        const btn = document.createElement("button");
        btn.textContent = st; btn.className = "set-" + st;
        btn.onclick = () => action(be.name, s.name, "state", st);
        act.appendChild(btn);
      }
      const w = document.createElement("input");
      w.size = 3; w.value = s.weight; w.className = "weight-input";
      const wb = document.createElement("button");
      wb.textContent = "weight"; wb.className = "set-weight";
      wb.onclick = () => action(be.name, s.name, "weight", w.value);
      act.appendChild(w); act.appendChild(wb);
      tb.appendChild(tr);
    }
    t.appendChild(tb);
    root.appendChild(t);
  }
  document.getElementById("updated").textContent = "updated " + new Date(now).toLocaleTimeString();
}
function fill(id, rows){
  const tb = document.querySelector("#" + id + " tbody");
  tb.textContent = "";
  for (const r of rows) { const tr = document.createElement("tr"); for (const v of r) cell(tr, v); tb.appendChild(tr); }
}
async function refresh(){
  try {
    const [b, g] = await Promise.all([fetch("/api/backends").then(r => r.json()),
                                      fetch("/api/generation").then(r => r.json())]);
    render(b);
    document.getElementById("version").textContent = g.version;
    fill("listeners", g.listeners.map(l => [l.name, l.bind, l.tls || "-"]));
    fill("modules", g.modules.map(m => [m.name, m.module, m.version]));
    fill("certificates", g.certificates.map(c => [c.module, c.cert,
      new Date(c.not_after * 1000).toISOString().replace(".000Z", "Z"),
      String(Math.floor((c.not_after * 1000 - Date.now()) / 86400000))]));
  } catch (e) {
    document.getElementById("err").textContent = "cannot reach gantry: " + e;
  }
}
refresh();
setInterval(refresh, REFRESH_MS);
</script>
</body></html>
)HTML";

}  // namespace

const std::string& status_page_html() {
  static const std::string page(kPage);
  return page;
}

}  // namespace gantry::admin
