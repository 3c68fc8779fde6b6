// The BPJS page: a deposit (POST /api/v1/deposits, idempotent by the transfer's reference), a
// reconciliation run (POST /api/v1/reconciliations {day}; the page is then shown for that day) and
// the resolution of a difference (POST /api/v1/reconciliation-exceptions/<id>/resolve {reason}).
import { byId, h, rupiah } from "./common.js";
import { fieldError, fieldOf, send, showError, t } from "./money_shared.js";

async function deposit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = byId("dep-error");
  const amount = byId("dep-amount");
  for (const input of form.querySelectorAll("input:not([type=hidden]), select")) fieldError(input, error, null);
  byId("dep-done").textContent = "";
  const raw = amount.value.trim().replace(/\./g, "");
  if (!/^\d{1,16}$/.test(raw)) {
    fieldError(amount, error, null, t("amount_digits"));
    return;
  }
  const kiosk = byId("dep-kiosk").value;
  const body = { kiosk, amount: Number(raw), reference: byId("dep-reference").value.trim() };
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const r = await send("POST", "/api/v1/deposits", { body });
  button.disabled = false;
  if (!r.ok) {
    const field = fieldOf(form, r);
    if (field) fieldError(field, error, r);
    else showError(error, r);
    return;
  }
  byId(`dep-${kiosk}`).textContent = rupiah(r.body.balance);
  const words = t("deposit_done", { amount: rupiah(r.body.balance) });
  byId("dep-done").textContent = r.body.replayed ? `${words} ${t("replayed")}` : words;
  byId("bp-live").textContent = byId("dep-done").textContent;
  if (!r.body.replayed) form.reset();
}

async function run(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector("button");
  const error = byId("run-error");
  error.replaceChildren();
  button.disabled = true;
  byId("bp-live").textContent = t("running");
  const r = await send("POST", "/api/v1/reconciliations", { body: { day: form.dataset.day } });
  button.disabled = false;
  if (!r.ok) {
    showError(error, r);
    return;
  }
  const url = new URL(window.location.href);
  url.searchParams.set("day", r.body.day);
  window.location.assign(url.toString());
}

async function resolve(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector(".field-error");
  const reason = form.querySelector("textarea");
  fieldError(reason, error, null);
  if (reason.value.trim().length < 5) {
    fieldError(reason, error, null, t("reason_short"));
    return;
  }
  const r = await send("POST", `/api/v1/reconciliation-exceptions/${form.dataset.id}/resolve`, { body: { reason: reason.value.trim() } });
  if (!r.ok) {
    showError(error, r);
    return;
  }
  const done = h("p", { class: "resolved", tabindex: "-1" }, `${t("resolved")} ${r.body.resolution}`);
  form.replaceWith(done);
  done.focus();
  byId("bp-live").textContent = done.textContent;
}

byId("deposit")?.addEventListener("submit", deposit);
byId("run")?.addEventListener("submit", run);
for (const form of document.querySelectorAll("form.resolve-recon")) form.addEventListener("submit", resolve);
