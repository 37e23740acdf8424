// The public score board outside the room: results are pushed as candidates finish (no polling).
const D = JSON.parse(document.getElementById("board-data").textContent);
const body = document.getElementById("board-rows");
const seen = new Set([...body.rows].map((tr) => tr.cells[0].textContent));

function add(r) {
  if (seen.has(r.participant_no)) return;
  seen.add(r.participant_no);
  const tr = document.createElement("tr");
  tr.className = "new";
  const cells = [r.participant_no, r.name, ...D.subtests.map((c) => r.subtests[c] ?? ""), r.total];
  cells.forEach((v, i) => { const td = document.createElement("td"); td.textContent = v; if (i >= 2) td.className = "num"; tr.append(td); });
  const verdict = document.createElement("td");
  verdict.className = r.passed ? "pass" : "fail"; verdict.textContent = r.passed ? D.pass : D.fail;
  tr.append(verdict);
  body.append(tr);
}

const socket = io("/board", { transports: ["websocket", "polling"] });
socket.on("connect", async () => {
  const r = await socket.emitWithAck("join", { room: D.room });
  if (r.ok) r.results.forEach(add);
});
socket.on("result", add);
