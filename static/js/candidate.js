// The candidate's exam page: login, decrypt the paper, one question at a time, grid, flag, countdown, submit.
// The server is the authority: answers count once acknowledged; unacknowledged ones are resent on reconnect.
import { gcm } from "/static/vendor/noble-ciphers/aes.js";

const T = JSON.parse(document.getElementById("i18n").textContent);
const $ = (id) => document.getElementById(id);
const fmt = (s, vars) => s.replace(/%\((\w+)\)s/g, (_, k) => String(vars[k]));
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const LETTERS = "ABCDEFGHIJ";

const st = {
  token: sessionStorage.getItem("exam.token"),
  candidate: JSON.parse(sessionStorage.getItem("exam.candidate") || "null"),
  exam: JSON.parse(sessionStorage.getItem("exam.exam") || "null"),
  started: sessionStorage.getItem("exam.started") === "1",
  pkg: null, paper: null, questions: [], answers: {}, flags: new Set(), current: 0,
  pending: new Map(), seqCounter: 0, clock: null, paused: false, locked: false, ended: false, socket: null,
};

function show(view) {
  for (const v of ["login-view", "wait-view", "exam-view", "result-view"]) $(v).hidden = v !== view;
}
function banner(text, bad = false) {
  const b = $("banner");
  b.hidden = !text; b.textContent = text || ""; b.classList.toggle("bad", bad);
}
function nextSeq() { st.seqCounter = (st.seqCounter + 1) % 100; return Date.now() * 100 + st.seqCounter; }

// ---- login ---------------------------------------------------------------------------------------------
$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("login-error").textContent = "";
  $("login-button").disabled = true;
  try {
    const res = await fetch("/api/v1/candidate/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ participant_no: $("participant_no").value, pin: $("pin").value, room_token: $("room_token").value }),
    });
    const body = await res.json();
    if (!res.ok) { $("login-error").textContent = body.error.message; return; }
    st.token = body.access_token; st.candidate = body.candidate; st.exam = body.exam;
    sessionStorage.setItem("exam.token", st.token);
    sessionStorage.setItem("exam.candidate", JSON.stringify(st.candidate));
    sessionStorage.setItem("exam.exam", JSON.stringify(st.exam));
    connect();
  } catch (e) {
    $("login-error").textContent = String(e);
  } finally {
    $("login-button").disabled = false;
  }
});

function logout(message) {
  sessionStorage.clear();
  st.token = null; st.started = false;
  if (st.socket) { st.socket.disconnect(); st.socket = null; }
  show("login-view");
  $("login-error").textContent = message || "";
}

// ---- live connection ------------------------------------------------------------------------------------
function connect() {
  $("who").textContent = st.candidate ? `${st.candidate.participant_no} · ${st.candidate.name}` : "";
  $("exam-title").textContent = st.exam ? st.exam.title : $("exam-title").textContent;
  const socket = io("/exam", { auth: { access_token: st.token }, transports: ["websocket", "polling"] });
  st.socket = socket;
  socket.on("connect", onConnect);
  socket.on("connect_error", (err) => {
    const data = err && err.data;
    if (data && data.code) logout(data.message); else banner(T.offline, true);
  });
  socket.on("disconnect", (reason) => { if (!st.ended && reason !== "io client disconnect") banner(T.offline, true); });
  socket.on("time", setClock);
  socket.on("ended", (p) => finish(p.reason));
  socket.on("session_replaced", () => { st.ended = true; logout(T.replaced); });
  socket.on("announcement", (p) => banner(`${T.announcement}: ${p.message}`));
  socket.on("proctor_action", (p) => {  // what the proctor did, shown at once (issue 6)
    if (p.kind === "released") { st.ended = true; logout(T.released || p.message); return; }
    if (p.kind === "extend") {
      const min = Math.round(p.seconds / 60);
      banner(`${T.time_added} (${min > 0 ? "+" : ""}${min} min)`);
    } else if (p.message && p.locked === undefined) banner(p.message);
    if (p.locked === true) { st.locked = true; banner(T.locked, true); lockInputs(true); }
    if (p.locked === false) { st.locked = false; banner(T.unlocked || ""); lockInputs(st.paused); }
  });
}

async function onConnect() {
  banner(st.started ? T.reconnected : "");
  if (!st.pkg) {
    const r = await st.socket.emitWithAck("prefetch");
    if (!r.ok) { $("start-error").textContent = r.error.message; show("wait-view"); return; }
    st.pkg = r.package;
  }
  if (st.started) await start(); else show("wait-view");
}

$("start-button").addEventListener("click", () => start());

async function start() {
  $("start-error").textContent = "";
  const r = await st.socket.emitWithAck("start");
  if (!r.ok) { $("start-error").textContent = r.error.message; show("wait-view"); return; }
  if (!st.paper) {
    const plain = gcm(b64(r.key), b64(st.pkg.nonce), new TextEncoder().encode(r.aad)).decrypt(b64(st.pkg.ciphertext));
    st.paper = JSON.parse(new TextDecoder().decode(plain));
    st.questions = st.paper.subtests.flatMap((s) => s.questions.map((q) => ({ ...q, subtest: s.code, subtestTitle: s.title })));
  }
  st.started = true;
  sessionStorage.setItem("exam.started", "1");
  // the server's state wins, then what this page still has to send goes on top
  st.answers = { ...r.answers };
  st.flags = new Set(r.flags);
  for (const [q, p] of st.pending) st.answers[q] = p.option;
  if (r.ended) { showResult(r.ended, r.result, r.receipt); return; }
  setClock(r);
  show("exam-view");
  render();
  for (const [q, p] of st.pending) sendAnswer(q, p);
}

// ---- clock ----------------------------------------------------------------------------------------------
function setClock(p) {
  const wasPaused = st.paused;
  st.paused = !!p.paused;
  st.clock = { left: p.remaining_ms, at: performance.now() };
  if (st.paused || wasPaused || st.locked) banner(st.paused ? T.paused : st.locked ? T.locked : T.resumed || "", st.locked);
  else if ([T.reconnected, T.offline].includes($("banner").textContent)) banner("");
  lockInputs(st.paused || st.locked);
  $("clock").hidden = false;
  drawClock();
}
function drawClock() {
  if (!st.clock) return;
  const ms = Math.max(0, st.paused ? st.clock.left : st.clock.left - (performance.now() - st.clock.at));
  const s = Math.ceil(ms / 1000);
  const hh = String(Math.floor(s / 3600)).padStart(2, "0"), mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  $("clock").textContent = `${hh}:${mm}:${String(s % 60).padStart(2, "0")}`;
  $("clock").classList.toggle("low", s <= 300);
}
setInterval(drawClock, 250);

// ---- questions ------------------------------------------------------------------------------------------
function render() {
  const q = st.questions[st.current];
  if (!q) return;
  $("q-subtest").textContent = q.subtest;
  $("q-number").textContent = `${st.current + 1} / ${st.questions.length}`;
  $("q-text").textContent = q.text;
  $("q-text").append(...images(q.media));
  const box = $("q-options");
  box.replaceChildren();
  q.options.forEach((o, i) => {
    const label = document.createElement("label");
    label.className = "option" + (st.answers[q.id] === o.id ? " chosen" : "");
    const input = document.createElement("input");
    input.type = "radio"; input.name = "opt"; input.value = o.id; input.checked = st.answers[q.id] === o.id;
    input.addEventListener("change", () => choose(q.id, o.id));
    const letter = document.createElement("span"); letter.className = "letter"; letter.textContent = LETTERS[i] + ".";
    const text = document.createElement("span"); text.textContent = o.text;
    text.append(...images(o.media));
    label.append(input, letter, text);
    box.append(label);
  });
  $("flag-box").checked = st.flags.has(q.id);
  $("prev-button").disabled = st.current === 0;
  $("next-button").disabled = st.current === st.questions.length - 1;
  renderGrid();
}

function images(media) {
  // bank images come from the server, for this candidate's started paper only
  return (media || []).filter((m) => m.sha256).map((m) => {
    const img = document.createElement("img");
    img.className = "media"; img.alt = m.alt || "";
    img.src = `/api/v1/candidate/media/${m.sha256}?token=${encodeURIComponent(st.token)}`;
    return img;
  });
}

function renderGrid() {
  const grid = $("grid");
  if (grid.children.length !== st.questions.length) {
    grid.replaceChildren(...st.questions.map((q, i) => {
      const c = document.createElement("button"); c.type = "button"; c.className = "cell"; c.textContent = i + 1;
      c.addEventListener("click", () => { st.current = i; render(); });
      return c;
    }));
  }
  let answered = 0;
  st.questions.forEach((q, i) => {
    const has = st.answers[q.id] != null;
    if (has) answered += 1;
    const c = grid.children[i];
    c.className = "cell" + (st.flags.has(q.id) ? " flagged" : has ? " answered" : "") + (i === st.current ? " current" : "");
  });
  $("progress").textContent = fmt(T.answered_of, { answered, total: st.questions.length });
}

function lockInputs(locked) {
  for (const el of document.querySelectorAll("#exam-view input, #exam-view button")) el.disabled = locked;
  if (!locked) render();
}

function choose(qid, oid) {
  st.answers[qid] = oid;
  const p = { option: oid, seq: nextSeq() };
  st.pending.set(qid, p);
  render();
  sendAnswer(qid, p);
}

async function sendAnswer(qid, p) {
  if (!st.socket || !st.socket.connected) return;  // resent by start() after the reconnect
  $("save-state").textContent = T.saving;
  try {
    const r = await st.socket.timeout(15000).emitWithAck("answer", { question: qid, option: p.option, seq: p.seq });
    if (r.ok) {
      if (st.pending.get(qid) === p) st.pending.delete(qid);
      $("save-state").textContent = st.pending.size ? T.saving : T.saved;
    } else if (r.error.code === "time_up") {
      finish("time_up");
    } else {
      $("save-state").textContent = T[r.error.code] || r.error.message;  // the page's own language for known codes
    }
  } catch (e) {
    $("save-state").textContent = T.offline;
  }
}

$("flag-box").addEventListener("change", async (ev) => {
  const q = st.questions[st.current];
  const flagged = ev.target.checked;
  if (flagged) st.flags.add(q.id); else st.flags.delete(q.id);
  renderGrid();
  const r = await st.socket.emitWithAck("flag", { question: q.id, flagged });
  if (!r.ok) $("save-state").textContent = T[r.error.code] || r.error.message;
});
$("prev-button").addEventListener("click", () => { st.current = Math.max(0, st.current - 1); render(); });
$("next-button").addEventListener("click", () => { st.current = Math.min(st.questions.length - 1, st.current + 1); render(); });

$("submit-button").addEventListener("click", async () => {
  const answered = st.questions.filter((q) => st.answers[q.id] != null).length;
  if (!window.confirm(fmt(T.confirm_submit, { answered, total: st.questions.length }))) return;
  await Promise.all([...st.pending].map(([q, p]) => sendAnswer(q, p)));
  const r = await st.socket.emitWithAck("submit");
  if (!r.ok) { $("save-state").textContent = r.error.message; return; }
  showResult(r.reason, r.result, r.receipt);
});

// focus loss is reported to the proctor (nothing changes on the paper)
window.addEventListener("blur", () => st.socket && st.started && !st.ended && st.socket.emit("focus", { kind: "blur" }));
document.addEventListener("fullscreenchange", () => {
  if (!document.fullscreenElement && st.socket && st.started) st.socket.emit("focus", { kind: "fullscreen_exit" });
});

// ---- the end --------------------------------------------------------------------------------------------
async function finish(reason) {
  if (st.ended) return;
  const r = await st.socket.emitWithAck("submit");  // idempotent: returns the stored result and receipt
  if (r.ok) showResult(reason || r.reason, r.result, r.receipt);
}

function showResult(reason, result, receipt) {
  st.ended = true;
  $("clock").hidden = true;
  banner("");
  $("ended-reason").textContent = T[reason] || reason;
  const order = st.paper ? st.paper.subtests.map((s) => s.code) : Object.keys(result.subtests);
  const rows = order.filter((k) => k in result.subtests).map((k) => `<tr><td>${k}</td><td>${result.subtests[k]}</td></tr>`);
  rows.push(`<tr><td>${T.total}</td><td>${result.total}</td></tr>`);
  $("result-rows").innerHTML = rows.join("");
  $("result-pass").textContent = result.passed ? T.passed : T.failed;
  $("result-pass").className = "verdict " + (result.passed ? "pass" : "fail");
  $("receipt").textContent = receipt;
  show("result-view");
}

if (st.token) connect(); else show("login-view");
