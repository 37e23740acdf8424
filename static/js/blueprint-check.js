// The blueprint editor's live stock check: as one types, the same GET the "Check" button sends runs again (debounced)
// and the answer's stock card and per-cell counts replace the page's. Without this script the button does the same.
const form = document.querySelector("form[data-live-check]");
const WAIT_MS = 400;
let timer = null;
let asked = 0;

function swap(fresh) {
  const card = document.getElementById("stock-card");
  const next = fresh.getElementById("stock-card");
  if (card && next) card.innerHTML = next.innerHTML;
  for (const cell of document.querySelectorAll("[data-cell]")) {
    const other = fresh.querySelector(`[data-cell="${CSS.escape(cell.dataset.cell)}"]`);
    cell.innerHTML = other ? other.innerHTML : "";
  }
  const error = document.getElementById("bp-error");
  const nextError = fresh.getElementById("bp-error");
  if (error) error.remove();
  if (nextError) document.querySelector("h1").after(nextError);
}

async function check() {
  const mine = ++asked;
  const query = new URLSearchParams(new FormData(form));
  const reply = await fetch(`${form.action}?${query}`, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (mine !== asked || !reply.headers.get("content-type")?.startsWith("text/html")) return; // a newer check is on its way
  swap(new DOMParser().parseFromString(await reply.text(), "text/html"));
  form.dataset.checked = String(mine);
}

if (form) {
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => check().catch(() => {}), WAIT_MS);
  });
}
