// End of day: POST /api/v1/end-of-day {kiosk, day, print} keeps the report (and prints it); the page
// is then shown again, so the kept list comes from the server with the new report marked.
import { byId } from "./common.js";
import { send, showError, t } from "./money_shared.js";

const form = byId("close-day");

async function close(event) {
  event.preventDefault();
  const report = byId("report");
  const print = event.submitter ? event.submitter.value === "yes" : true;
  const error = byId("close-error");
  error.replaceChildren();
  for (const b of form.querySelectorAll("button")) b.disabled = true;
  byId("eod-live").textContent = t("sending");
  const r = await send("POST", "/api/v1/end-of-day", { body: { kiosk: report.dataset.kiosk, day: report.dataset.day, print } });
  for (const b of form.querySelectorAll("button")) b.disabled = false;
  if (!r.ok) {
    showError(error, r);
    return;
  }
  const url = new URL(window.location.href);
  url.searchParams.set("kiosk", r.body.kiosk);
  url.searchParams.set("day", r.body.day);
  url.searchParams.set("kept", r.body.id);
  url.hash = `k-${r.body.id}`;
  window.location.assign(url.toString());
}

if (form) form.addEventListener("submit", close);
