// Keeps parts of a server-rendered page current: every element with data-refresh-ms (and an id) is replaced by the
// same element of a fresh copy of the page, while the tab is visible. Forms stay outside them, so nothing typed is lost.
const parts = [...document.querySelectorAll("[data-refresh-ms][id]")];
const every = Math.max(2000, Math.min(...parts.map((el) => Number(el.dataset.refreshMs) || 10000)));

async function refresh() {
  if (document.hidden) return;
  const reply = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!reply.ok || !reply.headers.get("content-type")?.startsWith("text/html")) return;
  const fresh = new DOMParser().parseFromString(await reply.text(), "text/html");
  for (const el of parts) {
    const next = fresh.getElementById(el.id);
    if (next) el.innerHTML = next.innerHTML;
  }
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
}

if (parts.length) setInterval(() => refresh().catch(() => {}), every);
