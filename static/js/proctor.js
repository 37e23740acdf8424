// The proctor dashboard: pick a room, watch every candidate live (pushed, never polled), act with a reason.
const T = JSON.parse(document.getElementById("i18n").textContent);
const $ = (id) => document.getElementById(id);
const STATUSES = ["not_signed_in", "waiting", "working", "paused", "disconnected", "finished", "locked"];
const PER_CANDIDATE = new Set(["extend", "lock", "unlock", "release", "force_submit", "clear_lockout"]);  // the rest act on the room

const st = { socket: null, rooms: [], room: null, rows: new Map(), selected: null, feed: [], action: null, offset: 0 };

function banner(text) { $("banner").hidden = !text; $("banner").textContent = text || ""; }
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
function hms(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60].map((v) => String(v).padStart(2, "0")).join(":");
}
function clockTime(iso) { return iso ? new Date(iso).toLocaleTimeString() : "—"; }

// ---- connection ------------------------------------------------------------------------------------------
const socket = io("/proctor", { transports: ["websocket", "polling"] });
st.socket = socket;
socket.on("connect", async () => {
  banner("");
  const r = await socket.emitWithAck("rooms");
  if (!r.ok) { banner(r.error.message); return; }
  st.rooms = r.rooms;
  const sel = $("room-select");
  sel.replaceChildren(...r.rooms.map((room) => { const o = el("option", null, `${room.code} — ${room.name}`); o.value = room.id; return o; }));
  const wanted = Number(new URLSearchParams(location.search).get("room")) || (st.room && st.room.id) || (r.rooms[0] && r.rooms[0].id);
  if (wanted) { sel.value = wanted; await join(Number(sel.value)); }
});
socket.on("connect_error", (err) => {
  if (err && err.data && err.data.code === "not_signed_in") location.href = "/staff/login?next=/proctor/";
  else banner(T.offline);
});
socket.on("disconnect", () => banner(T.offline));
socket.on("signed_out", () => { location.href = "/staff/login"; });
socket.on("candidates", (p) => { if (st.room && p.room_id === st.room.id) { for (const r of p.rows) upsert(r); drawCounts(); } });
socket.on("feed", (p) => { if (st.room && p.room_id === st.room.id) { st.feed.unshift(...p.items.slice().reverse()); st.feed.length = Math.min(st.feed.length, 500); drawFeed(); } });
socket.on("room", (room) => { if (st.room && room.id === st.room.id) setRoom(room); });
$("room-select").addEventListener("change", (ev) => join(Number(ev.target.value)));

async function join(roomId) {
  const r = await socket.emitWithAck("join", { room: roomId });
  if (!r.ok) { banner(r.error.message); return; }
  st.rows.clear(); st.selected = null; $("grid").replaceChildren(); $("selected").hidden = true;
  setRoom(r.room);
  for (const row of r.rows) upsert(row);
  st.feed = r.feed; drawFeed(); drawCounts();
  history.replaceState(null, "", `?room=${roomId}`);
}

function setRoom(room) {
  st.room = room;
  st.offset = new Date(room.server_time).getTime() - Date.now();
  const info = $("room-info");
  info.replaceChildren(el("strong", null, `${room.name} (${room.code})`), document.createTextNode(
    ` · ${room.exam ? room.exam.title : ""} · ${room.candidates} ${T.candidates} · ${room.is_open ? T.open : T.closed} `));
  if (room.paused) info.append(el("span", "paused", T.room_paused));
  $("room-token").textContent = room.token || "";
  $("pause-button").hidden = room.paused; $("resume-button").hidden = !room.paused;
  $("open-button").hidden = room.is_open; $("close-button").hidden = !room.is_open;
  $("summary-link").href = `/proctor/rooms/${room.id}/summary`;
  $("board-link").href = `/board/${encodeURIComponent(room.code)}`;
}
$("reveal-token").addEventListener("click", () => { $("room-token").hidden = !$("room-token").hidden; });

// ---- grid -----------------------------------------------------------------------------------------------
function upsert(row) {
  row.at = performance.now();
  st.rows.set(row.candidate_id, row);
  let cell = document.querySelector(`.cell[data-cid="${row.candidate_id}"]`);
  if (!cell) {
    cell = el("div", "cell"); cell.dataset.cid = row.candidate_id; cell.tabIndex = 0;
    cell.addEventListener("click", () => select(row.candidate_id));
    const cells = [...$("grid").children];
    const after = cells.find((c) => st.rows.get(Number(c.dataset.cid)).participant_no > row.participant_no);
    $("grid").insertBefore(cell, after || null);
  }
  cell.className = `cell s-${row.status}` + (st.selected === row.candidate_id ? " sel" : "");
  const warn = row.focus_lost + row.fullscreen_exits;
  cell.replaceChildren(
    el("div", "no", row.participant_no), el("div", "nm", row.name), el("div", "st", T[row.status] || row.status),
    Object.assign(el("div", "bar2"), { innerHTML: `<i style="width:${Math.round(row.progress * 100)}%"></i>` }),
    el("div", null, `${row.answered}/${row.total} ${T.answered}`),
    el("div", "tl", row.state === "started" || row.state === "paused" ? `${hms(remaining(row))} ${T.left}` : ""),
    el("div", warn ? "warnc" : "muted", `${T.focus} ${row.focus_lost} · ${T.fullscreen} ${row.fullscreen_exits}`),
    el("div", "muted", `${T.seen} ${clockTime(row.last_seen)} · ${row.ip || "—"}`),
  );
  const acc = accommodations(row);
  if (acc) cell.append(el("div", "acc", acc));
  if (st.selected === row.candidate_id) drawSelected();
}
// accommodations set in the candidate import (extra time is already in the deadline the grid counts down to)
function accommodations(row) {
  const a = row.accommodations || {};
  return [
    a.extra_time_s ? `${T.acc_time} ${T.minutes.replace("%(n)s", `+${Math.round(a.extra_time_s / 60)}`)}` : "",
    a.large_text ? T.acc_large : "", a.high_contrast ? T.acc_contrast : "",
  ].filter(Boolean).join(" · ");
}
function remaining(row) {
  if (row.state !== "started") return row.remaining_ms;
  return row.remaining_ms - (performance.now() - row.at);
}
setInterval(() => {
  for (const row of st.rows.values()) {
    if (row.state !== "started") continue;
    const tl = document.querySelector(`.cell[data-cid="${row.candidate_id}"] .tl`);
    if (tl) tl.textContent = `${hms(remaining(row))} ${T.left}`;
  }
}, 1000);

function drawCounts() {
  const n = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const r of st.rows.values()) n[r.status] += 1;
  $("counts").replaceChildren(...STATUSES.map((s) => el("span", `count s-${s}`, `${T[s]}: ${n[s]}`)));
}

function select(cid) {
  const prev = document.querySelector(".cell.sel"); if (prev) prev.classList.remove("sel");
  st.selected = cid;
  document.querySelector(`.cell[data-cid="${cid}"]`).classList.add("sel");
  drawSelected();
}
function drawSelected() {
  const row = st.rows.get(st.selected);
  if (!row) return;
  $("selected").hidden = false;
  $("sel-name").textContent = `${row.participant_no} · ${row.name}`;
  $("sel-detail").textContent = [`${T[row.status]}`, `${row.answered}/${row.total}`,
    T.minutes.replace("%(n)s", `+${Math.round(row.extra_s / 60)}`), accommodations(row)].filter(Boolean).join(" · ");
  const finished = row.state === "finished";
  for (const b of document.querySelectorAll(".cand-actions button")) b.disabled = finished;
  document.querySelector('[data-act="lock"]').hidden = row.locked;
  document.querySelector('[data-act="unlock"]').hidden = !row.locked;
}

// ---- feed -----------------------------------------------------------------------------------------------
function drawFeed() {
  const f = $("feed-filter").value;
  const kinds = f ? f.split(",") : null;
  const keep = (k) => !kinds || kinds.some((w) => (w.endsWith(".") ? k.startsWith(w) : k === w));
  $("feed").replaceChildren(...st.feed.filter((i) => keep(i.kind)).slice(0, 200).map((i) => {
    const li = el("li");
    li.append(el("span", "muted", clockTime(i.at) + " "), el("span", "k" + (i.kind.startsWith("proctor.") ? " act" : ""), i.kind));
    if (i.participant_no) li.append(document.createTextNode(` ${i.participant_no} ${i.name || ""}`));
    if (i.kind.startsWith("proctor.")) li.append(document.createTextNode(` — ${i.actor}`));
    if (i.reason) li.append(el("div", "muted", i.reason));
    return li;
  }));
}
$("feed-filter").addEventListener("change", drawFeed);

// ---- actions --------------------------------------------------------------------------------------------
for (const b of document.querySelectorAll("[data-act]")) b.addEventListener("click", () => openAction(b.dataset.act));

function openAction(act) {
  st.action = act;
  const perCandidate = PER_CANDIDATE.has(act);
  const row = perCandidate ? st.rows.get(st.selected) : null;
  $("action-title").textContent = T[act];
  $("action-target").textContent = row ? `${row.participant_no} · ${row.name}` : st.room ? st.room.name : "";
  $("minutes-label").hidden = !(act === "extend" || act === "extend_room");
  $("reason-label").firstChild.textContent = act === "announce" ? T.message : T.reason;
  $("reason").value = ""; $("action-error").textContent = "";
  $("action-dialog").showModal();
  $("reason").focus();
}
$("action-cancel").addEventListener("click", () => $("action-dialog").close());
$("action-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const act = st.action, text = $("reason").value.trim();
  if (!text) { $("action-error").textContent = T.reason_required; return; }
  const data = { room: st.room.id };
  let event = act;
  if (PER_CANDIDATE.has(act)) data.candidate = st.selected;
  if (act === "extend" || act === "extend_room") { event = "extend"; data.seconds = Math.round(Number($("minutes").value) * 60); }
  if (act === "announce") data.message = text; else data.reason = text;
  $("action-confirm").disabled = true;
  try {
    const r = await socket.timeout(60000).emitWithAck(event, data);
    if (!r.ok) { $("action-error").textContent = r.error.message; return; }
    $("action-dialog").close();
  } catch (e) {
    $("action-error").textContent = T.offline;
  } finally {
    $("action-confirm").disabled = false;
  }
});
