// The candidate's exam page: login, decrypt the paper, one question at a time, grid, flag, countdown, submit.
// The server is the authority, and the page tells the truth about it (issue 10):
// - every change (answer or ragu-ragu flag) is written to IndexedDB, keyed by exam + participant, before the
//   screen shows it; it leaves that queue only when the server acknowledged it (applied, duplicate, stale, or a
//   final refusal such as time_up), and is replayed in order after a reconnect, a reload, a closed tab or a crash;
// - "Saved" appears only after an applied ack; otherwise the page says how many changes are waiting;
// - seq continues from the server's (the start ack), never from the PC clock.
import { gcm } from "/static/vendor/noble-ciphers/aes.js";

const T = JSON.parse(document.getElementById("i18n").textContent);
const $ = (id) => document.getElementById(id);
const fmt = (s, vars) => s.replace(/%\((\w+)\)s/g, (_, k) => String(vars[k]));
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const LETTERS = "ABCDEFGHIJ";
const ANNOUNCE_AT_MIN = [30, 10, 5, 1];  // the clock is read out only when these are crossed, not every second
const VIEWS = ["login-view", "wait-view", "hold-view", "exam-view", "summary-view", "result-view"];
const FOCUS_ON = { "login-view": "participant_no", "wait-view": "wait-title", "hold-view": "hold-title",
  "exam-view": "q-head", "summary-view": "summary-title", "result-view": "result-title" };
const ACK_TIMEOUT_MS = 15000;
const FINAL_REFUSALS = new Set(["bad_payload", "unknown_question", "unknown_option"]);  // a resend cannot help

const st = {
  token: sessionStorage.getItem("exam.token"),
  candidate: JSON.parse(sessionStorage.getItem("exam.candidate") || "null"),
  exam: JSON.parse(sessionStorage.getItem("exam.exam") || "null"),
  started: sessionStorage.getItem("exam.started") === "1",
  finishing: sessionStorage.getItem("exam.finishing") === "1",  // "Finish and submit" pressed, queue draining
  pkg: null, paper: null, questions: [], answers: {}, flags: new Set(), current: 0,
  queue: [],          // unacknowledged changes in seq order: {owner, seq, kind, question, option | options | flagged}
  loaded: null,       // the promise of this owner's queue read from IndexedDB
  seq: 0,             // the highest seq used by this page or applied by the server
  durable: true,      // false if IndexedDB failed: the queue then lives in this page only (and the page says so)
  saved: new Map(),   // question → "saved" | "stale", set by acks on this page
  gen: 0,             // one per successful start on a connection; a change is sent once per generation
  live: false,        // started on the current connection: changes may be sent
  socketTried: false, // a connection was attempted: from then on, not connected means offline (the banner says so)
  submitting: false, note: "", noteBad: false,
  clock: null, paused: false, locked: false, ended: false, socket: null,
  reviewing: false,   // the summary before finishing is open
  shownView: null, lastLeft: null,
};

// One view at a time; when the view changes and focus would be lost in a hidden part, it moves to the new view's
// heading (or the login's first field), so keyboard and screen-reader users always know where they are.
function show(view) {
  for (const v of VIEWS) $(v).hidden = v !== view;
  if (st.shownView === view) return;
  st.shownView = view;
  const a = document.activeElement;
  if (!a || a === document.body || !a.offsetParent) $(FOCUS_ON[view])?.focus();
}
function say(text, bad = false) {
  st.note = text || ""; st.noteBad = bad; refresh();
  // a passing note (back online, resumed, unlocked) goes by itself: the server's `time` resync is only once a minute
  if ([T.reconnected, T.resumed, T.unlocked].includes(text)) setTimeout(() => { if (st.note === text) say(""); }, 8000);
}

// ---- the durable queue (IndexedDB) ---------------------------------------------------------------------
let dbPromise = null;
function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open("exam-engine", 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore("changes", { keyPath: ["owner", "seq"] });  // key order = replay order
        req.result.createObjectStore("counters", { keyPath: "owner" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error("IndexedDB blocked"));
    });
  }
  return dbPromise;
}
async function idb(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(["changes", "counters"], mode, { durability: "strict" });  // on disk before the screen
    const out = {};
    fn(t.objectStore("changes"), t.objectStore("counters"), out);
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("IndexedDB transaction aborted"));
  });
}
const owner = () => `${st.exam.code}|${st.candidate.participant_no}`;  // two candidates on one PC never mix
const ownRange = (who) => IDBKeyRange.bound([who, -Infinity], [who, Infinity]);

async function loadQueue() {
  const who = owner();
  try {
    const got = await idb("readonly", (changes, counters, out) => {
      changes.getAll(ownRange(who)).onsuccess = (e) => { out.changes = e.target.result; };
      counters.get(who).onsuccess = (e) => { out.counter = e.target.result; };
    });
    const mine = new Set(st.queue.map((e) => e.seq));
    st.queue = [...st.queue, ...got.changes.filter((e) => !mine.has(e.seq))].sort((a, b) => a.seq - b.seq);
    const last = st.queue.length ? st.queue[st.queue.length - 1].seq : 0;
    st.seq = Math.max(st.seq, last, got.counter ? got.counter.seq : 0);
    if (st.queue.length || st.seq > 0) st.started = true;  // this PC already worked on the paper: no Start again
  } catch (e) {
    st.durable = false;
  }
  refresh();
}

let chain = Promise.resolve();
function serial(fn) { const p = chain.then(fn); chain = p.catch(() => {}); return p; }

// A change: stored first, shown second, sent third. ``change`` may be a function, called at the change's turn: a
// multiple-response answer is the whole chosen set, built on the changes recorded before it.
function record(change) {
  return serial(async () => {
    if (st.ended || st.finishing) return;
    st.seq += 1;
    const entry = { owner: owner(), seq: st.seq, ...(typeof change === "function" ? change() : change) };
    if (st.durable) {
      try {
        await idb("readwrite", (changes, counters) => {
          changes.put(entry);
          counters.put({ owner: entry.owner, seq: entry.seq });
        });
      } catch (e) {
        st.durable = false;  // still sent, but the page no longer claims it survives a reload
      }
    }
    st.queue.push(entry);
    st.saved.delete(entry.question);
    applyChange(entry);
    render();
    pump();
  });
}

async function drop(entry) {
  const i = st.queue.indexOf(entry);
  if (i < 0) return;  // a late ack of a resent change
  st.queue.splice(i, 1);
  try {
    await idb("readwrite", (changes) => { changes.delete([entry.owner, entry.seq]); });
  } catch (e) { /* replayed on the next start: the server answers "duplicate" */ }
}

async function clearQueue() {
  if (!st.exam || !st.candidate) return;
  const who = owner();
  st.queue = [];
  try { await idb("readwrite", (changes) => { changes.delete(ownRange(who)); }); } catch (e) { /* nothing to send */ }
}

function applyChange(e) {
  if (e.kind === "answer") {
    // a multiple-response answer is a set (an empty one is a blank), a single one an option or null
    const blank = Array.isArray(e.options) ? e.options.length === 0 : e.option == null;
    if (blank) delete st.answers[e.question]; else st.answers[e.question] = Array.isArray(e.options) ? [...e.options] : e.option;
  } else if (e.flagged) st.flags.add(e.question); else st.flags.delete(e.question);
}
const pendingFor = (qid) => st.queue.filter((e) => e.question === qid).length;

// ---- sending --------------------------------------------------------------------------------------------
function pump() {
  if (!st.live || st.locked || st.paused || st.ended || !st.socket || !st.socket.connected) { refresh(); return; }
  for (const e of st.queue) if (e.sentOn !== st.gen) send(e);  // in order; the server applies them in order
  refresh();
  checkFinish();
}

async function send(e) {
  const gen = st.gen;
  e.sentOn = gen;
  const payload = e.kind === "flag" ? { question: e.question, flagged: e.flagged, seq: e.seq }
    : Array.isArray(e.options) ? { question: e.question, options: e.options, seq: e.seq }
      : { question: e.question, option: e.option, seq: e.seq };
  let r;
  try {
    r = await st.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(e.kind, payload);
  } catch (err) {  // no ack: disconnected or overloaded; the same seq goes again (a resend is harmless)
    if (e.sentOn === gen) e.sentOn = null;
    if (gen === st.gen) pump();
    return;
  }
  await settle(e, r);
}

async function settle(e, r) {
  if (r && r.ok) {
    const stale = r.applied === false;
    await drop(e);
    st.seq = Math.max(st.seq, r.seq);
    const later = st.queue.some((x) => x.kind === e.kind && x.question === e.question);
    if (stale && !later) {  // the server holds a newer change: show what it holds (its ack says), not what this page sent
      applyChange({ kind: e.kind, question: e.question, option: r.option, options: r.options, flagged: r.flagged });
    }
    if (!pendingFor(e.question)) st.saved.set(e.question, stale ? "stale" : "saved");
  } else {
    const code = r && r.error ? r.error.code : "internal";
    if (code === "time_up") {
      await drop(e);  // final: the paper is closed, nothing changed
      finish("time_up");
    } else if (code === "locked") {
      e.sentOn = null; st.locked = true; view();
    } else if (code === "paused") {
      e.sentOn = null; st.paused = true; view();
    } else if (FINAL_REFUSALS.has(code)) {
      await drop(e);
      say(T[code] || r.error.message, true);
      if (st.live) start();  // show the server's state again
    } else {  // storage_error, not_started, internal...: the same change again shortly
      e.sentOn = null;
      const gen = st.gen;
      setTimeout(() => { if (gen === st.gen) pump(); }, 2000);
      if (code === "not_started" || code === "not_connected") start();
    }
  }
  render();
  checkFinish();
}

// ---- what the screen says -------------------------------------------------------------------------------
function refresh() {
  const n = st.queue.length;
  const online = !!(st.socket && st.socket.connected);
  // the banner: the connection first, then the last note (the locked / paused screen speaks for itself)
  let text = st.note, bad = st.noteBad;
  if (!st.ended && st.token && !online && st.socketTried) {
    text = n === 0 ? T.offline_clear : fmt(st.durable ? T.offline_kept : T.offline_memory, { n });
    bad = true;
  }
  const b = $("banner");
  b.hidden = !text; b.textContent = text || ""; b.classList.toggle("bad", !!bad);

  let q = "";
  if (n > 0) q = fmt(n === 1 ? T.waiting_one : T.waiting_many, { n });
  else if (st.saved.size && !st.ended) q = T.all_saved;
  for (const el of document.querySelectorAll(".queue-state")) {
    el.textContent = q;
    el.hidden = !q;
    el.classList.toggle("waiting", n > 0);
  }
  const fin = $("finish-state");
  if (st.finishing && !st.ended) {
    fin.hidden = false;
    fin.textContent = n > 0 ? fmt(online ? T.finish_waiting : T.finish_waiting_offline, { n }) : T.finish_sending;
  } else fin.hidden = true;
  $("submit-button").disabled = st.finishing || st.locked || st.paused;

  const cur = st.questions[st.current];
  let line = "";
  if (cur) {
    if (pendingFor(cur.id)) line = st.live ? T.saving : st.durable ? T.not_sent_kept : T.not_sent;
    else if (st.saved.get(cur.id) === "stale") line = T.stale;
    else if (st.saved.get(cur.id) === "saved") line = T.saved;
  }
  $("save-state").textContent = line;
}

function view() {
  if (st.ended) return;
  if (!st.started) {
    if (st.pkg) renderStartScreen();
    show(st.pkg ? "wait-view" : st.token ? "hold-view" : "login-view");
    holdText();
    return;
  }
  if (st.locked || st.paused || !st.paper) { show("hold-view"); holdText(); refresh(); return; }
  if (st.reviewing) { show("summary-view"); renderSummary(); refresh(); return; }
  show("exam-view");
  render();
}

function holdText() {
  const [title, text] = st.locked ? [T.locked_title, `${T.locked} ${T.hold_wait}`]
    : st.paused && st.paper ? [T.paused_title, `${T.paused} ${T.hold_wait}`]
      : [T.connecting_title, T.connecting];
  $("hold-title").textContent = title;
  $("hold-text").textContent = text;
}

// ---- login ---------------------------------------------------------------------------------------------
// A server too busy to sign in now says when to come back (503 "busy", Retry-After); a proxy that gave up waiting
// (502/504, not JSON) says nothing: the page waits (longer each time, spread by a random share so a room does not
// come back at once) and tries again by itself, saying so. Pressing the button again tries at once.
let loginRetry = null;
let proxyFailures = 0;  // in a row, since the button was pressed

function retryLogin(text, seconds) {
  const wait = Math.max(1, seconds) * (1 + Math.random() / 2);
  $("login-error").textContent = fmt(text, { n: Math.ceil(wait) });
  loginRetry = setTimeout(() => { loginRetry = null; signIn(); }, wait * 1000);
}

$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  proxyFailures = 0;
  signIn();
});

async function signIn() {
  clearTimeout(loginRetry);
  loginRetry = null;
  $("login-error").textContent = "";
  $("login-button").disabled = true;
  try {
    const res = await fetch("/api/v1/candidate/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ participant_no: $("participant_no").value, pin: $("pin").value, room_token: $("room_token").value }),
    });
    const body = await res.json().catch(() => null);
    if (!body && [502, 503, 504].includes(res.status)) {
      proxyFailures += 1;
      retryLogin(T.slow_retry, Math.min(30, 5 * 2 ** (proxyFailures - 1)));
      return;
    }
    if (!body) throw new Error(`login: HTTP ${res.status}`);
    if (res.status === 503 && body.error.code === "busy") {
      retryLogin(T.busy_retry, Number(res.headers.get("Retry-After")) || 5);
      return;
    }
    if (!res.ok) { $("login-error").textContent = body.error.message; return; }
    st.token = body.access_token; st.candidate = body.candidate; st.exam = body.exam;
    sessionStorage.setItem("exam.token", st.token);
    sessionStorage.setItem("exam.candidate", JSON.stringify(st.candidate));
    sessionStorage.setItem("exam.exam", JSON.stringify(st.exam));
    boot();
  } catch (e) {
    $("login-error").textContent = T.offline_login;
  } finally {
    $("login-button").disabled = false;
  }
}

function logout(message) {
  sessionStorage.clear();  // the queue stays in IndexedDB: it is sent after the next login of this candidate
  forgetImages();
  const socket = st.socket;
  Object.assign(st, {
    token: null, started: false, finishing: false, live: false, ended: false, socket: null, socketTried: false,
    paper: null, pkg: null, questions: [], answers: {}, flags: new Set(), current: 0, queue: [], seq: 0,
    saved: new Map(), locked: false, paused: false, note: "", clock: null, reviewing: false, lastLeft: null,
  });
  st.gen += 1;
  if (socket) socket.disconnect();
  $("clock").hidden = true;
  $("clock-announce").textContent = "";
  $("grid").replaceChildren();
  $("q-options").replaceChildren();
  shownOptions = null;
  clearSlip();
  $("agree-box").checked = false;
  $("start-button").disabled = true;
  $("who").textContent = "";
  $("login-form").reset();  // a shared PC keeps no one's PIN on screen
  accommodate(null);  // the next candidate on this PC gets their own settings
  show("login-view");
  refresh();
  $("login-error").textContent = message || "";
}

// Another login took this paper over (a device release, a login elsewhere). Changes this page could not send
// must not come back later, from this PC, over newer ones made there: they are dropped, and the page says so.
async function superseded(message) {
  const lost = [...st.queue];
  if (lost.length && st.durable) {
    try {
      await idb("readwrite", (changes) => { for (const e of lost) changes.delete([e.owner, e.seq]); });
    } catch (e) { /* nothing more to do */ }
  }
  logout(lost.length ? `${message} ${fmt(T.unsent_superseded, { n: lost.length })}` : message);
}

// ---- the start screen: who, what, how long, the rules, and the agreement before Start ----------------------
function renderStartScreen() {
  const c = st.candidate || {}, e = st.exam || {};
  $("start-name").textContent = c.name || "";
  $("start-number").textContent = c.participant_no || "";
  $("start-exam").textContent = e.title || e.code || "";
  // the candidate's own time: the exam's duration and the extra time set for them in advance (an accommodation)
  const extra = (c.accommodations && c.accommodations.extra_time_s) || 0;
  $("start-duration").textContent = e.duration_s
    ? fmt(T.duration_min, { n: Math.round(e.duration_s / 60) })
      + (extra ? ` (${fmt(T.extra_time_incl, { n: Math.round(extra / 60) })})` : "")
    : "";
  const rows = (e.subtests || []).map((sub) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td"); name.textContent = sub.title === sub.code ? sub.code : `${sub.title} (${sub.code})`;
    const count = document.createElement("td"); count.textContent = String(sub.questions);
    tr.append(name, count);
    return tr;
  });
  $("start-subtests").replaceChildren(...rows);
  $("start-button").disabled = !$("agree-box").checked;
}
$("agree-box").addEventListener("change", () => { $("start-button").disabled = !$("agree-box").checked; });

// ---- live connection ------------------------------------------------------------------------------------
function boot() {
  st.loaded = loadQueue();
  connect();
  view();
}

// accommodations set for this candidate in advance (the candidate import, shown to the proctor): larger text and high
// contrast are classes on the page; extra time is already in the deadline the server keeps. Any candidate may also
// switch either on for themselves (kept for this tab only: the next candidate on the PC starts plain).
function accommodate(candidate) {
  const a = (candidate && candidate.accommodations) || {};
  const own = (name) => sessionStorage.getItem(`exam.display.${name}`) === "1";
  const large = !!a.large_text || own("large"), contrast = !!a.high_contrast || own("contrast");
  document.documentElement.classList.toggle("acc-large", large);
  document.documentElement.classList.toggle("acc-contrast", contrast);
  $("large-button").setAttribute("aria-pressed", String(large));
  $("contrast-button").setAttribute("aria-pressed", String(contrast));
}

for (const [button, name] of [["large-button", "large"], ["contrast-button", "contrast"]]) {
  $(button).addEventListener("click", () => {
    const on = $(button).getAttribute("aria-pressed") !== "true";
    sessionStorage.setItem(`exam.display.${name}`, on ? "1" : "0");
    accommodate(st.candidate);
  });
}

function connect() {
  accommodate(st.candidate);
  $("who").textContent = st.candidate ? `${st.candidate.participant_no} · ${st.candidate.name}` : "";
  $("exam-title").textContent = st.exam ? st.exam.title : $("exam-title").textContent;
  const socket = io("/exam", {
    auth: { access_token: st.token }, transports: ["websocket", "polling"], reconnectionDelayMax: 3000,
  });
  st.socket = socket;
  const on = (name, fn) => socket.on(name, (...args) => { if (socket === st.socket) fn(...args); });  // not after a logout
  on("connect", () => onConnect(socket));
  on("connect_error", (err) => {
    const data = err && err.data;
    if (data && data.code === "session_replaced") { superseded(data.message); return; }
    if (data && data.code) { logout(data.message); return; }  // an expired token: the queue waits for the login
    st.socketTried = true; refresh();  // the offline banner, with what is waiting
  });
  on("disconnect", () => { st.live = false; st.socketTried = true; refresh(); });
  on("time", (p) => { setClock(p); if ([T.reconnected, T.resumed, T.unlocked].includes(st.note)) say(""); });
  on("ended", (p) => finish(p.reason));
  on("session_replaced", () => superseded(T.replaced));
  on("announcement", (p) => say(`${T.announcement}: ${p.message}`));
  on("proctor_action", (p) => {  // what the proctor did, shown at once
    if (p.kind === "released") { superseded(T.released || p.message); return; }
    if (p.kind === "extend") {
      const min = Math.round(p.seconds / 60);
      say(`${T.time_added} (${fmt(T.minutes, { n: (min > 0 ? "+" : "") + min })})`);
    } else if (p.kind === "lock") {
      st.locked = true; st.live = false; view();
    } else if (p.kind === "unlock") {
      st.locked = false; say(T.unlocked); start();  // the exam continues without pressing Start
    } else if (p.kind === "pause") {
      st.paused = true; view();
    } else if (p.kind === "resume") {
      st.paused = false; say(T.resumed); if (st.started) start();
    } else if (p.message) say(p.message);
  });
}

async function onConnect(socket) {
  if (st.socketTried && st.started) say(T.reconnected);  // after a drop, not on the first connection
  st.socketTried = true;
  await st.loaded;
  if (socket !== st.socket) return;
  if (!st.pkg) {
    let r;
    try { r = await socket.timeout(20000).emitWithAck("prefetch"); } catch (e) { return; }
    if (!r.ok) { $("start-error").textContent = r.error.message; show("wait-view"); return; }
    st.pkg = r.package;
  }
  if (st.started) await start(); else view();
}

$("start-button").addEventListener("click", () => start());

let starting = null;
function start() {  // one at a time; on every (re)connect, unlock and resume
  if (!starting) starting = doStart().finally(() => { starting = null; });
  return starting;
}

async function doStart() {
  const socket = st.socket;
  if (!socket || !socket.connected || !st.pkg) return;
  $("start-error").textContent = "";
  st.live = false;
  let r;
  try { r = await socket.timeout(20000).emitWithAck("start"); } catch (e) { return; }  // the next connect starts again
  if (socket !== st.socket) return;
  if (!r.ok) { $("start-error").textContent = T[r.error.code] || r.error.message; show("wait-view"); return; }
  st.started = true;
  sessionStorage.setItem("exam.started", "1");
  st.locked = !!r.locked;
  st.paused = !!r.paused;
  if (r.remaining_ms != null) setClock(r);
  if (r.locked) { view(); return; }  // no key while locked: the locked screen waits for the unlock
  if (!st.paper) {
    const plain = gcm(b64(r.key), b64(st.pkg.nonce), new TextEncoder().encode(r.aad)).decrypt(b64(st.pkg.ciphertext));
    st.paper = JSON.parse(new TextDecoder().decode(plain));
    st.questions = st.paper.subtests.flatMap((s) => s.questions.map((q) => ({ ...q, subtest: s.code, subtestTitle: s.title })));
    const last = st.questions.findIndex((q) => q.id === sessionStorage.getItem("exam.current"));
    if (last >= 0) st.current = last;  // a reload comes back to the question last viewed
  }
  if (r.ended) { showResult(r.ended, r.result, r.receipt); return; }
  // the server's state, then what this page still has to send, in order, on top
  st.seq = Math.max(st.seq, r.seq);
  st.answers = { ...r.answers };
  st.flags = new Set(r.flags);
  for (const e of st.queue) applyChange(e);
  st.gen += 1;
  st.live = true;
  view();
  pump();
}

// ---- clock ----------------------------------------------------------------------------------------------
function setClock(p) {
  const was = st.paused;
  st.paused = !!p.paused;
  st.clock = { left: p.remaining_ms, at: performance.now() };
  $("clock").hidden = false;
  drawClock();
  if (was !== st.paused) { view(); pump(); }
}
function drawClock() {
  if (!st.clock) return;
  const ms = Math.max(0, st.paused ? st.clock.left : st.clock.left - (performance.now() - st.clock.at));
  const s = Math.ceil(ms / 1000);
  const hh = String(Math.floor(s / 3600)).padStart(2, "0"), mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  $("clock").textContent = `${hh}:${mm}:${String(s % 60).padStart(2, "0")}`;
  $("clock").classList.toggle("low", s <= 300);
  announceClock(s);
}

// Screen readers hear the time only when 30, 10, 5 and 1 minutes are left (a live region, apart from the clock),
// never every second; a page opened with 29 minutes left says nothing until 10.
function announceClock(s) {
  const before = st.lastLeft;
  st.lastLeft = s;
  if (before == null || st.paused) return;
  for (const m of ANNOUNCE_AT_MIN) {
    if (before > m * 60 && s <= m * 60) {
      $("clock-announce").textContent = m === 1 ? T.one_minute_left : fmt(T.minutes_left, { n: m });
    }
  }
}
setInterval(drawClock, 250);

// ---- questions ------------------------------------------------------------------------------------------
function render() {
  const q = st.questions[st.current];
  if (!q || $("exam-view").hidden) {
    if (!$("summary-view").hidden) renderSummary();
    refresh();
    return;
  }
  sessionStorage.setItem("exam.current", q.id);
  $("q-subtest").textContent = q.subtest;
  $("q-number").textContent = `${st.current + 1} / ${st.questions.length}`;
  const shown = stemOf(q);
  if ($("q-text").firstChild !== shown) {  // a redraw keeps the stem (a recording plays on); leaving it pauses it
    for (const player of $("q-text").querySelectorAll("audio, video")) player.pause();
    $("q-text").replaceChildren(shown);
  }
  renderOptions(q);
  $("flag-box").checked = st.flags.has(q.id);
  $("flag-box").disabled = st.finishing;
  $("prev-button").disabled = st.current === 0;
  $("next-button").disabled = st.current === st.questions.length - 1;
  renderGrid();
  refresh();
}

let shownOptions = null;  // the question whose options are on screen: a redraw updates them, never replaces them

function renderOptions(q) {
  const box = $("q-options");
  if (shownOptions !== q.id) {
    const hadFocus = box.contains(document.activeElement);
    const rows = q.options.map((o, i) => optionRow(q, o, i));
    // a multiple-response question: checkboxes, and the answer is the set ticked (radio buttons: one option)
    box.setAttribute("role", q.multiple ? "group" : "radiogroup");
    if (q.multiple) {
      const hint = document.createElement("p");
      hint.className = "multi-hint"; hint.id = "multi-hint"; hint.textContent = T.choose_all;
      box.setAttribute("aria-describedby", hint.id);
      box.replaceChildren(hint, ...rows);
    } else {
      box.removeAttribute("aria-describedby");
      box.replaceChildren(...rows);
    }
    shownOptions = q.id;
    if (hadFocus) focusOption();
  }
  for (const label of box.querySelectorAll("label.option")) {
    const input = label.querySelector("input");
    const chosen = isChosen(q, input.value);
    input.checked = chosen;
    input.disabled = st.finishing;  // looking through the answers while they are sent is fine, changing them not
    label.classList.toggle("chosen", chosen);
  }
}

function optionRow(q, o, i) {
  const label = document.createElement("label");
  label.className = "option";
  const input = document.createElement("input");
  input.type = q.multiple ? "checkbox" : "radio"; input.name = "opt"; input.value = o.id;
  input.addEventListener("change", () => (q.multiple ? toggle(q, o.id) : choose(q.id, o.id)));
  const letter = document.createElement("span"); letter.className = "letter"; letter.textContent = LETTERS[i] + ".";
  const text = document.createElement("span"); text.textContent = o.text;
  text.append(...images(o.media));
  label.append(input, letter, text);
  return label;
}

function focusOption(i) {
  const inputs = [...$("q-options").querySelectorAll("input")];
  (inputs[i] || inputs.find((x) => x.checked) || inputs[0])?.focus();
}

// A stem's tables and formulas: sanitized on import already, and again here (a page never trusts markup it did not
// write). HTML and MathML only (Chromium draws MathML itself); nothing that loads, styles, links or takes input, and
// no id or name, which could stand in for the page's own elements.
const PURIFY = {
  USE_PROFILES: { html: true, mathMl: true },
  FORBID_TAGS: ["style", "img", "picture", "source", "track", "audio", "video", "a", "area", "map", "form", "input",
    "button", "select", "textarea", "label", "details", "dialog"],
  FORBID_ATTR: ["style", "class", "id", "name", "src", "srcset", "href", "xlink:href", "action", "formaction",
    "poster", "background", "ping", "usemap", "tabindex"],
  ALLOW_DATA_ATTR: false, ALLOW_ARIA_ATTR: false, RETURN_DOM_FRAGMENT: true,
};

const stems = new Map();  // question label -> its stem and media, built once per login

function stemOf(q) {
  if (!stems.has(q.id)) {
    const box = document.createElement("div");
    box.append(stem(q), ...images(q.media, () => stems.delete(q.id)));  // a failed load: built again next time
    stems.set(q.id, box);
  }
  return stems.get(q.id);
}

function stem(q) {
  const box = document.createElement("div");
  if (q.html && window.DOMPurify) {  // without the sanitizer (never: it is served with the page) the plain text
    box.className = "rich";
    box.append(window.DOMPurify.sanitize(q.html, PURIFY));
  } else box.textContent = q.text;
  return box;
}

const imageUrls = new Map();  // image label -> Promise of a blob: URL, fetched once per login

function imageUrl(ref) {
  if (!imageUrls.has(ref)) {
    // the token goes in a header, never the URL (URLs reach logs and Referer); the image is this paper's only
    const url = fetch(`/api/v1/candidate/media/${encodeURIComponent(ref)}`, { headers: { Authorization: `Bearer ${st.token}` } })
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((blob) => URL.createObjectURL(blob));
    url.catch(() => imageUrls.delete(ref));  // a failed load is tried again at the next redraw
    imageUrls.set(ref, url);
  }
  return imageUrls.get(ref);
}

function images(media, failed = () => {}) {
  // bank images, audio and video come from the server, for this candidate's started paper only, by their label on
  // this paper; a recording plays with the browser's own controls (no autoplay: the candidate starts it)
  return (media || []).filter((m) => m.ref).map((m) => {
    const player = /^(audio|video)\//.exec(m.mime || "");
    const el = document.createElement(player ? player[1] : "img");
    el.className = "media";
    if (player) {
      el.controls = true; el.preload = "auto";
      el.setAttribute("controlsList", "nodownload");
      if (m.alt) el.setAttribute("aria-label", m.alt);
      el.title = m.alt || "";
    } else el.alt = m.alt || "";
    imageUrl(m.ref).then((url) => { el.src = url; }, failed);
    return el;
  });
}

function forgetImages() {
  imageUrls.forEach((url) => url.then((u) => URL.revokeObjectURL(u), () => {}));
  imageUrls.clear();
  stems.clear();
}

function renderGrid() {
  const grid = $("grid");
  if (grid.children.length !== st.questions.length) {
    grid.replaceChildren(...st.questions.map((q, i) => {
      const c = document.createElement("button"); c.type = "button"; c.className = "cell"; c.textContent = i + 1;
      c.addEventListener("click", () => go(i));
      return c;
    }));
  }
  let answered = 0;
  st.questions.forEach((q, i) => {
    const has = st.answers[q.id] != null;
    if (has) answered += 1;
    const c = grid.children[i];
    const waiting = pendingFor(q.id) > 0;
    c.className = "cell" + (st.flags.has(q.id) ? " flagged" : has ? " answered" : "") + (i === st.current ? " current" : "")
      + (waiting ? " pending" : "");
    c.title = waiting ? T.not_sent : "";
    c.setAttribute("aria-label", cellLabel(q, i));
    if (i === st.current) c.setAttribute("aria-current", "true"); else c.removeAttribute("aria-current");
  });
  $("progress").textContent = fmt(T.answered_of, { answered, total: st.questions.length });
}

function cellLabel(q, i) {
  const parts = [fmt(T.question_n, { n: i + 1 }), st.answers[q.id] != null ? T.state_answered : T.state_unanswered];
  if (st.flags.has(q.id)) parts.push(T.state_flagged);
  if (pendingFor(q.id)) parts.push(T.not_sent);
  return parts.join(", ");
}

// Moving between questions keeps the keyboard where it was: on the options, on the buttons, or on the grid.
function go(i) {
  if (!st.questions.length) return;
  st.current = Math.max(0, Math.min(st.questions.length - 1, i));
  render();
  const a = document.activeElement;
  if (!a || a === document.body || a.disabled || !a.offsetParent) $("q-head").focus();
}

function toggleFlag() {
  const q = st.questions[st.current];
  if (!q || st.finishing) return;
  $("flag-box").checked = !st.flags.has(q.id);
  record({ kind: "flag", question: q.id, flagged: $("flag-box").checked }).then(render);
}

function focusGrid() {
  const cells = $("grid").children;
  (cells[st.current] || cells[0])?.focus();
}

// A–E or 1–5 choose, ←/→ move, R marks ragu-ragu, G goes to the grid (not while typing, not with Ctrl/Alt).
function onKey(ev) {
  if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.defaultPrevented || $("exam-view").hidden) return;
  const t = ev.target;
  if (t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && !["radio", "checkbox"].includes(t.type)))) return;
  const q = st.questions[st.current];
  if (!q) return;
  const key = ev.key.length === 1 ? ev.key.toUpperCase() : ev.key;
  const pick = key.length === 1 ? Math.max("ABCDE".indexOf(key), "12345".indexOf(key)) : -1;
  if (pick >= 0 && pick < q.options.length) {
    if (!st.finishing && q.multiple) toggle(q, q.options[pick].id);  // a box: each press ticks or unticks it
    else if (!st.finishing && st.answers[q.id] !== q.options[pick].id) choose(q.id, q.options[pick].id);
    focusOption(pick);
  } else if (key === "ArrowLeft" || key === "ArrowRight") {
    go(st.current + (key === "ArrowLeft" ? -1 : 1));
  } else if (key === "R") toggleFlag();
  else if (key === "G") focusGrid();
  else return;
  ev.preventDefault();  // an arrow on a radio would otherwise also change the answer
}
document.addEventListener("keydown", onKey);

function isChosen(q, oid) {
  const a = st.answers[q.id];
  return Array.isArray(a) ? a.includes(oid) : a === oid;
}

function choose(qid, oid) {
  // the screen shows the choice only once it is stored: undo the browser's own check until then
  for (const input of $("q-options").querySelectorAll("input")) input.checked = input.value === st.answers[qid];
  record({ kind: "answer", question: qid, option: oid });
}

function toggle(q, oid) {
  // as choose(): the tick shows once stored. The set is built when the change's turn comes, on every change
  // recorded before it, so quick clicks never drop one another; it is kept in the options' order on screen
  for (const input of $("q-options").querySelectorAll("input")) input.checked = isChosen(q, input.value);
  record(() => {
    const had = new Set(Array.isArray(st.answers[q.id]) ? st.answers[q.id] : []);
    if (had.has(oid)) had.delete(oid); else had.add(oid);
    return { kind: "answer", question: q.id, options: q.options.map((o) => o.id).filter((id) => had.has(id)) };
  });
}

$("flag-box").addEventListener("change", (ev) => {
  const q = st.questions[st.current];
  // the box itself ticks at once (assistive technology and automation expect that); the grid, the counters and
  // "Saved" follow only once the mark is stored, and a refused change is put back by render()
  record({ kind: "flag", question: q.id, flagged: ev.target.checked }).then(render);
});
$("prev-button").addEventListener("click", () => go(st.current - 1));
$("next-button").addEventListener("click", () => go(st.current + 1));

// ---- finishing: every waiting change first, then submit -------------------------------------------------
$("submit-button").addEventListener("click", () => openSummary());

// The summary before finishing: how many are answered, unanswered and ragu-ragu, each question a way back.
function openSummary() {
  st.reviewing = true;
  view();
}

function closeSummary(i = st.current) {
  st.reviewing = false;
  st.current = i;
  view();
  $("q-head").focus();
}

function renderSummary() {
  const answered = st.questions.filter((q) => st.answers[q.id] != null).length;
  const flagged = st.questions.filter((q) => st.flags.has(q.id)).length;
  $("sum-answered").textContent = String(answered);
  $("sum-unanswered").textContent = String(st.questions.length - answered);
  $("sum-flagged").textContent = String(flagged);
  const list = $("summary-list");
  if (list.children.length !== st.questions.length) {
    list.replaceChildren(...st.questions.map((q, i) => {
      const b = document.createElement("button"); b.type = "button"; b.textContent = i + 1;
      b.addEventListener("click", () => closeSummary(i));
      return b;
    }));
  }
  st.questions.forEach((q, i) => {
    const b = list.children[i];
    b.className = "cell" + (st.flags.has(q.id) ? " flagged" : st.answers[q.id] != null ? " answered" : "");
    b.setAttribute("aria-label", cellLabel(q, i));
  });
}

$("summary-back").addEventListener("click", () => closeSummary());
$("finish-confirm").addEventListener("click", async () => {
  await chain;  // a change being stored right now belongs to the paper
  st.reviewing = false;
  st.finishing = true;
  sessionStorage.setItem("exam.finishing", "1");
  view();
  pump();
  checkFinish();
});

async function checkFinish() {
  refresh();
  if (!st.finishing || st.submitting || st.ended || !st.live || st.queue.length || st.locked || st.paused) return;
  const socket = st.socket;
  st.submitting = true;
  let r;
  try {
    r = await socket.timeout(30000).emitWithAck("submit");
  } catch (e) {
    return;  // the next start tries again
  } finally {
    st.submitting = false;
  }
  if (r.ok) { showResult(r.reason, r.result, r.receipt); return; }
  st.finishing = false;
  sessionStorage.removeItem("exam.finishing");
  say(T[r.error.code] || r.error.message, true);
  view();
}

// without browser storage, unsent changes live only in this page: the browser asks before leaving it
window.addEventListener("beforeunload", (ev) => {
  if (!st.durable && st.queue.length && !st.ended) { ev.preventDefault(); ev.returnValue = ""; }
});

// focus loss is reported to the proctor (nothing changes on the paper)
window.addEventListener("blur", () => st.live && !st.ended && st.socket.emit("focus", { kind: "blur" }));
document.addEventListener("fullscreenchange", () => {
  if (!document.fullscreenElement && st.live) st.socket.emit("focus", { kind: "fullscreen_exit" });
});

// ---- the end --------------------------------------------------------------------------------------------
async function finish(reason) {
  if (st.ended || !st.socket) return;
  let r;
  try { r = await st.socket.timeout(30000).emitWithAck("submit"); } catch (e) { return; }  // idempotent
  if (r.ok) showResult(reason || r.reason, r.result, r.receipt);
}

function showResult(reason, result, receipt) {
  const lost = st.queue.length;
  st.ended = true;
  st.live = false;
  st.finishing = false;
  st.reviewing = false;
  sessionStorage.removeItem("exam.finishing");
  clearQueue();  // the paper is closed: nothing waiting can change it any more
  $("clock").hidden = true;
  say(lost ? fmt(T.unsent_at_end, { n: lost }) : "", lost > 0);
  $("ended-reason").textContent = T[reason] || reason;
  $("slip-name").textContent = st.candidate ? st.candidate.name : "";
  $("slip-number").textContent = st.candidate ? st.candidate.participant_no : "";
  $("slip-exam").textContent = st.exam ? st.exam.title : "";
  const passing = result.passing || { subtests: {}, total: null };
  const order = st.paper ? st.paper.subtests.map((s) => s.code) : Object.keys(result.subtests);
  const rows = order.filter((k) => k in result.subtests)
    .map((k) => resultRow(k, result.subtests[k], passing.subtests[k]));
  rows.push(resultRow(T.total, result.total, passing.total));
  $("result-rows").replaceChildren(...rows);
  $("result-pass").textContent = result.passed ? T.passed : T.failed;
  $("result-pass").className = "verdict " + (result.passed ? "pass" : "fail");
  $("receipt").textContent = receipt;
  showReceiptQr(receipt);
  $("review-box").hidden = !(st.exam && st.exam.practice);  // a practice exam only: a selection exam never
  show("result-view");
}

// A practice exam's review: every question with the candidate's answer, the best answer and the explanation,
// fetched from the server once the paper is finished (it refuses any other exam).
async function showReview() {
  let res;
  try {
    res = await fetch("/api/v1/candidate/review", { headers: { Authorization: `Bearer ${st.token}` } });
  } catch (e) { return; }
  const body = await res.json();
  if (!res.ok) { say(body.error ? body.error.message : "", true); return; }
  const items = body.questions.map((q) => {
    const li = document.createElement("li");
    const stem = document.createElement("p");
    stem.className = "review-stem";
    stem.textContent = q.text;
    const options = document.createElement("ul");
    for (const o of q.options) {
      const item = document.createElement("li");
      const marks = [o.chosen ? T.your_answer : "", o.best ? T.best_answer : ""].filter(Boolean);
      item.textContent = o.text + (marks.length ? ` (${marks.join(", ")})` : "");
      if (o.best) item.classList.add("best");
      if (o.chosen) item.classList.add("chosen");
      options.append(item);
    }
    li.append(stem, options);
    if (!q.options.some((o) => o.chosen)) {
      const none = document.createElement("p");
      none.textContent = T.no_answer;
      li.append(none);
    }
    if (q.explanation) {
      const why = document.createElement("p");
      why.className = "review-explanation";
      why.textContent = `${T.explanation}: ${q.explanation}`;
      li.append(why);
    }
    return li;
  });
  $("review-list").replaceChildren(...items);
  $("review").hidden = false;
  $("review-button").hidden = true;
  $("review-title").focus();
}

// One row of the score slip: the score against its passing grade (none: the rules set no minimum there).
function resultRow(name, score, grade) {
  const tr = document.createElement("tr");
  const cells = [name, score, grade == null ? T.no_grade : grade,
    grade == null ? "" : score + 1e-9 >= grade ? T.pass_ok : T.pass_short];
  cells.forEach((value, i) => {
    const td = document.createElement(i === 0 ? "th" : "td");
    if (i === 0) td.scope = "row";
    td.textContent = String(value);
    td.className = ["name", "score", "grade", "status"][i];
    if (i === 3 && grade != null) td.classList.add(score + 1e-9 >= grade ? "pass" : "fail");
    tr.append(td);
  });
  return tr;
}

// The receipt as a QR code, drawn by the server (it signs receipts, and only draws its own), shown as a blob: URL.
let qrUrl = null;
async function showReceiptQr(receipt) {
  try {
    const res = await fetch("/api/v1/receipts/qr", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ receipt }),
    });
    if (!res.ok || !st.ended) return;
    if (qrUrl) URL.revokeObjectURL(qrUrl);
    qrUrl = URL.createObjectURL(await res.blob());
    $("receipt-qr").src = qrUrl;
    $("receipt-qr").hidden = false;
  } catch (e) { /* the receipt text is on the slip anyway */ }
}

function clearSlip() {
  for (const id of ["result-rows", "slip-name", "slip-number", "slip-exam", "ended-reason", "result-pass", "receipt"]) {
    $(id).replaceChildren();
  }
  $("receipt-qr").hidden = true;
  $("receipt-qr").removeAttribute("src");
  $("review-list").replaceChildren();
  $("review").hidden = true;
  $("review-button").hidden = false;
  $("review-box").hidden = true;
  if (qrUrl) URL.revokeObjectURL(qrUrl);
  qrUrl = null;
}

$("print-button").addEventListener("click", () => window.print());
$("review-button").addEventListener("click", showReview);
// Keluar: the PC is ready for the next candidate (this one's session is forgotten; their closed paper left nothing
// waiting in the queue, and another candidate's queue is kept under its own owner key)
$("exit-button").addEventListener("click", () => logout(""));

if (st.token) boot(); else show("login-view");
