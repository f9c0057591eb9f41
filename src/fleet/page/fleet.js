// The fleet page: /api/vehicles once, then every delivered record from /api/events
// (Server-Sent Events), the status strip from /api/status every two seconds. No
// framework, nothing loaded from elsewhere. Every text goes in through textContent.
"use strict";

const BATTERY = ["Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed",
                 "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"];
const RANGE = ["Vehicle.Powertrain.Range", "Vehicle.Powertrain.TractionBattery.Range",
               "Vehicle.Powertrain.FuelSystem.Range"];
const ODOMETER = ["Vehicle.TraveledDistance"];
const CHARGING = ["Vehicle.Powertrain.TractionBattery.Charging.IsCharging"];
const LAT = "Vehicle.CurrentLocation.Latitude", LON = "Vehicle.CurrentLocation.Longitude";
const HISTORY = 120, MAX_ROWS = 500;

const vehicles = new Map(); // vin -> {vin, provider, source, last_seen, signals: Map}
const flashed = new Set();
let openVin = null, openHistory = null, dirty = false, maxVehicles = 10000;

const $ = (id) => document.getElementById(id);
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function keep(vin, provider, source, lastSeen) {
  let v = vehicles.get(vin);
  if (!v) {
    // Bounded like the daemon's own state: the least recently seen makes room.
    if (vehicles.size >= maxVehicles) {
      let oldest = null;
      for (const o of vehicles.values()) if (!oldest || o.last_seen < oldest.last_seen) oldest = o;
      if (oldest) vehicles.delete(oldest.vin);
    }
    v = {vin, signals: new Map()};
    vehicles.set(vin, v);
  }
  v.provider = provider; v.source = source;
  if (!v.last_seen || lastSeen > v.last_seen) v.last_seen = lastSeen;
  return v;
}
// A snapshot may arrive after newer live events: the newer value stays.
function putSignal(v, s, receivedAt) {
  const key = s.path + "\u0000" + s.origin, had = v.signals.get(key);
  if (had && had.received_at > receivedAt) return;
  v.signals.set(key, Object.assign({}, s, {received_at: receivedAt}));
}
function latest(v, paths) {
  for (const p of paths) {
    let best = null;
    for (const s of v.signals.values()) {
      if (s.path === p && s.value !== null && (!best || s.received_at >= best.received_at)) best = s;
    }
    if (best) return best;
  }
  return null;
}

// Formatting.
function num(x, digits) {
  return Number(x).toLocaleString(undefined, {maximumFractionDigits: digits, minimumFractionDigits: 0});
}
function distance(s) {
  if (!s || typeof s.value !== "number") return "–";
  if (s.unit === "m") return num(s.value / 1000, 1) + " km";
  return num(s.value, 1) + " " + (s.unit || "");
}
function ago(t) {
  const secs = Math.max(0, (Date.now() - Date.parse(t)) / 1000);
  if (secs < 60) return Math.round(secs) + " s ago";
  if (secs < 3600) return Math.round(secs / 60) + " min ago";
  if (secs < 86400) return Math.round(secs / 3600) + " h ago";
  return new Date(t).toLocaleDateString();
}
function show(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value === "number") return num(value, 6);
  return String(value);
}

// The vehicle table.
function batteryCell(td, s) {
  if (!s || typeof s.value !== "number") { td.textContent = "–"; return; }
  const bar = el("span", s.value < 20 ? "bar low" : "bar");
  const fill = el("i");
  fill.style.width = Math.max(0, Math.min(100, s.value)) + "%";
  bar.appendChild(fill);
  td.appendChild(bar);
  td.appendChild(document.createTextNode(num(s.value, 0) + " %"));
}
function row(v) {
  const tr = el("tr");
  tr.dataset.vin = v.vin;
  tr.appendChild(el("td", "vin c-vin", v.vin));
  tr.appendChild(el("td", "c-provider", v.provider + (v.source && v.source !== v.provider ? " · " + v.source : "")));
  const seen = el("td", "c-seen", ago(v.last_seen));
  seen.title = v.last_seen;
  seen.dataset.t = v.last_seen;
  tr.appendChild(seen);
  const battery = el("td", "num c-battery");
  batteryCell(battery, latest(v, BATTERY));
  tr.appendChild(battery);
  tr.appendChild(el("td", "num c-range", distance(latest(v, RANGE))));
  tr.appendChild(el("td", "num c-odometer", distance(latest(v, ODOMETER))));
  const ch = latest(v, CHARGING);
  tr.appendChild(el("td", "c-charging", ch ? (ch.value ? "⚡ charging" : "no") : "–"));
  const lat = latest(v, [LAT]), lon = latest(v, [LON]);
  tr.appendChild(el("td", "c-position", lat && lon ? num(lat.value, 5) + ", " + num(lon.value, 5) : "–"));
  if (flashed.has(v.vin)) tr.classList.add("flash");
  tr.addEventListener("click", () => { location.hash = "#/vin/" + encodeURIComponent(v.vin); });
  return tr;
}
function renderTable() {
  const q = $("filter").value.trim().toLowerCase();
  const all = [...vehicles.values()].sort((a, b) => a.vin < b.vin ? -1 : a.vin > b.vin ? 1 : 0);
  const hits = q ? all.filter((v) => (v.vin + " " + v.provider + " " + v.source).toLowerCase().includes(q)) : all;
  const body = document.createElement("tbody");
  for (const v of hits.slice(0, MAX_ROWS)) body.appendChild(row(v));
  $("vehicles").replaceChild(body, $("vehicles").tBodies[0]);
  flashed.clear();
  $("empty").hidden = vehicles.size > 0;
  $("st-vehicles").textContent = `${vehicles.size} of max ${num(maxVehicles, 0)}`;
  $("shown").textContent = hits.length > MAX_ROWS ? `showing ${MAX_ROWS} of ${hits.length}: filter to narrow`
    : `${hits.length} vehicle${hits.length === 1 ? "" : "s"}`;
}

// The detail view of one VIN.
function signalRows(tbody, list) {
  const body = document.createElement("tbody");
  for (const s of list) {
    const tr = el("tr");
    tr.dataset.path = s.path;
    tr.dataset.origin = s.origin;
    tr.appendChild(el("td", "path c-path", s.path));
    const value = el("td", "num value c-value", show(s.value));
    value.title = show(s.value);
    if (s.failure) { value.textContent = "failure: " + (s.failure.reason || ""); value.title = JSON.stringify(s.failure); }
    tr.appendChild(value);
    tr.appendChild(el("td", "c-unit", s.unit || ""));
    tr.appendChild(el("td", "c-origin muted", s.origin));
    tr.appendChild(el("td", "c-timestamp muted", s.timestamp || ""));
    body.appendChild(tr);
  }
  if (!list.length) { const tr = el("tr"); const td = el("td", "muted", "none"); td.colSpan = 5; tr.appendChild(td); body.appendChild(tr); }
  tbody.parentNode.replaceChild(body, tbody);
}
// Drawn in the box's own pixels, so text and dots keep their shape at any width.
function svg(inner, w, h) {
  return `<svg viewBox="0 0 ${w} ${h}" role="img">${inner}</svg>`;
}
function boxWidth(box) { return Math.max(200, Math.round(box.clientWidth || 300)); }
function plotBattery(points) {
  const box = $("plot-battery");
  if (!points.length) { box.innerHTML = '<div class="none">no battery level yet</div>'; return; }
  const w = boxWidth(box), h = 180, n = points.length;
  const x = (i) => n === 1 ? w / 2 : 34 + (i * (w - 42)) / (n - 1);
  const y = (v) => 8 + (h - 16) * (1 - Math.max(0, Math.min(100, v)) / 100);
  let grid = "";
  for (const g of [0, 25, 50, 75, 100]) grid += `<line class="grid" x1="34" x2="${w}" y1="${y(g)}" y2="${y(g)}"/><text x="0" y="${y(g) + 3}">${g}%</text>`;
  const line = points.map((p, i) => `${x(i).toFixed(1)},${y(Number(p[1])).toFixed(1)}`).join(" ");
  const last = points[n - 1];
  box.innerHTML = svg(`${grid}<polyline class="line" points="${line}"/>` +
    `<circle class="here" cx="${x(n - 1)}" cy="${y(Number(last[1]))}" r="3"/>`, w, h);
  box.dataset.points = String(n);
}
function plotPositions(points) {
  const box = $("plot-positions");
  if (!points.length) { box.innerHTML = '<div class="none">no position yet</div>'; return; }
  const lats = points.map((p) => Number(p[1])), lons = points.map((p) => Number(p[2]));
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const k = Math.cos(midLat * Math.PI / 180) || 1;
  // Equal scale in both directions (longitude shrunk by cos(latitude)): the track's shape is true.
  const xs = lons.map((l) => l * k), ys = lats;
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const span = Math.max(maxX - minX, maxY - minY, 1e-4);
  const w = boxWidth(box), h = 180, pad = 16, scale = Math.min(w - 2 * pad, h - 2 * pad) / span;
  const cx = (w - (maxX - minX) * scale) / 2, cy = (h - (maxY - minY) * scale) / 2;
  const px = (i) => (cx + (xs[i] - minX) * scale).toFixed(1);
  const py = (i) => (h - cy - (ys[i] - minY) * scale).toFixed(1);
  let inner = `<rect class="grid" x="0.5" y="0.5" width="${w - 1}" height="${h - 1}" fill="none"/>`;
  inner += `<polyline class="track" points="${points.map((_, i) => px(i) + "," + py(i)).join(" ")}"/>`;
  for (let i = 0; i < points.length - 1; i++) inner += `<circle class="dot" cx="${px(i)}" cy="${py(i)}" r="1.6"/>`;
  const n = points.length - 1;
  inner += `<circle class="here" cx="${px(n)}" cy="${py(n)}" r="4"/>`;
  inner += `<text x="4" y="12">${num(maxY, 4)}° N</text><text x="4" y="${h - 4}">${num(minY, 4)}° · ${num(Math.min(...lons), 4)}…${num(Math.max(...lons), 4)}° E</text>`;
  box.innerHTML = svg(inner, w, h);
  box.dataset.points = String(points.length);
}
function renderDetail() {
  const v = vehicles.get(openVin);
  $("d-vin").textContent = openVin;
  $("detail").dataset.vin = openVin;
  if (!v) { $("d-meta").textContent = "not seen (yet)"; return; }
  $("d-meta").textContent = `${v.provider} · ${v.source} · last seen ${v.last_seen}`;
  const list = [...v.signals.values()].sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : a.origin < b.origin ? -1 : 1);
  signalRows($("d-vss").tBodies[0], list.filter((s) => s.path.startsWith("Vehicle.")));
  signalRows($("d-vendor").tBodies[0], list.filter((s) => !s.path.startsWith("Vehicle.")));
  if (openHistory) { plotBattery(openHistory.battery); plotPositions(openHistory.positions); }
}
async function openDetail(vin) {
  openVin = vin; openHistory = {battery: [], positions: []};
  $("list").hidden = true; $("detail").hidden = false;
  renderDetail();
  const r = await fetch("api/vehicles/" + encodeURIComponent(vin), {credentials: "same-origin"});
  if (r.ok && openVin === vin) {
    const v = await r.json();
    const kept = keep(v.vin, v.provider, v.source, v.last_seen);
    for (const s of v.signals) putSignal(kept, s, s.received_at);
    openHistory = v.history;
  }
  renderDetail();
  window.scrollTo(0, 0);
}
function route() {
  const m = location.hash.match(/^#\/vin\/(.+)$/);
  if (m) { openDetail(decodeURIComponent(m[1])); return; }
  openVin = null; openHistory = null;
  $("detail").hidden = true; $("list").hidden = false;
  renderTable();
}

// Live updates.
function onRecord(r) {
  const v = keep(r.vin, r.provider, r.source, r.received_at);
  for (const s of r.signals) putSignal(v, s, r.received_at);
  flashed.add(r.vin);
  if (openVin === r.vin && openHistory) {
    const b = latestIn(r.signals, BATTERY);
    if (b) pushBounded(openHistory.battery, [r.received_at, b.value]);
    const lat = latestIn(r.signals, [LAT]), lon = latestIn(r.signals, [LON]);
    if (lat && lon) pushBounded(openHistory.positions, [r.received_at, lat.value, lon.value]);
  }
  dirty = true;
}
function latestIn(signals, paths) {
  for (const p of paths) { const s = signals.find((x) => x.path === p && typeof x.value === "number"); if (s) return s; }
  return null;
}
function pushBounded(list, item) { list.push(item); if (list.length > HISTORY) list.shift(); }
function connect() {
  const es = new EventSource("api/events");
  es.addEventListener("open", () => { $("live").textContent = "live"; $("live").className = "chip on"; });
  es.addEventListener("error", () => { $("live").textContent = "reconnecting…"; $("live").className = "chip off"; });
  es.addEventListener("record", (e) => { try { onRecord(JSON.parse(e.data)); } catch (err) { console.error(err); } });
}
// At most four renders a second, whatever the record rate.
setInterval(() => {
  if (!dirty) return;
  dirty = false;
  if (openVin) renderDetail(); else renderTable();
}, 250);
setInterval(() => {
  for (const td of document.querySelectorAll("#vehicles td.c-seen")) td.textContent = ago(td.dataset.t);
}, 1000);

// The status strip.
function bytes(n) {
  if (n < 1024) return n + " B";
  const u = ["KiB", "MiB", "GiB", "TiB"]; let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return num(n, 1) + " " + u[i];
}
async function status() {
  try {
    const r = await fetch("api/status", {credentials: "same-origin"});
    if (!r.ok) throw new Error(r.status);
    const s = await r.json();
    const providers = $("st-providers"); providers.textContent = "";
    for (const p of s.providers) {
      const c = el("span", "chip " + (p.ready ? "ok" : "bad"), (p.ready ? "● " : "○ ") + p.name);
      c.title = p.problem || (p.ready ? "connected and subscribed" : "not connected");
      providers.appendChild(c); providers.appendChild(document.createTextNode(" "));
    }
    const sinks = $("st-sinks"); sinks.textContent = "";
    let backlog = 0;
    for (const k of s.sinks) {
      backlog += k.backlog_bytes;
      const c = el("span", "chip " + (k.ready ? "ok" : "bad"), (k.ready ? "● " : "○ ") + k.name);
      c.title = k.problem || `ready · ${k.delivered} records delivered`;
      sinks.appendChild(c); sinks.appendChild(document.createTextNode(" "));
    }
    $("st-backlog").textContent = bytes(backlog);
    $("st-backlog").className = "chip " + (backlog > 0 ? "warn" : "ok");
    $("st-dead").textContent = String(s.dead_letters);
    $("st-dead").className = "chip " + (s.dead_letters > 0 ? "warn" : "ok");
    maxVehicles = s.vehicles.max_vehicles;
    $("st-vehicles").textContent = `${Math.max(s.vehicles.count, vehicles.size)} of max ${num(maxVehicles, 0)}`;
    $("status").classList.remove("stale");
    $("status").title = "";
  } catch (e) {
    // Keep the last numbers, greyed out: one failed poll is no news.
    $("status").classList.add("stale");
    $("status").title = "status unavailable: " + e;
  }
}

async function start() {
  $("filter").addEventListener("input", renderTable);
  $("d-close").addEventListener("click", (e) => { e.preventDefault(); location.hash = ""; });
  window.addEventListener("hashchange", route);
  window.addEventListener("resize", () => { if (openVin) renderDetail(); });
  connect();
  try {
    // The table's columns only: with thousands of vehicles every signal would be megabytes.
    const paths = [...BATTERY, ...RANGE, ...ODOMETER, ...CHARGING, LAT, LON].join(",");
    const r = await fetch("api/vehicles?paths=" + encodeURIComponent(paths), {credentials: "same-origin"});
    const body = await r.json();
    maxVehicles = body.max_vehicles || maxVehicles;
    for (const v of body.vehicles) {
      const kept = keep(v.vin, v.provider, v.source, v.last_seen);
      for (const s of v.signals) putSignal(kept, s, s.received_at);
    }
  } catch (e) { console.error(e); }
  document.body.dataset.loaded = "1";
  route();
  status();
  setInterval(status, 2000);
}
start();
