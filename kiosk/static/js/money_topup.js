// Cash top-up: POST /api/v1/topups {amount} with an Idempotency-Key per attempt. The key and the
// amount are kept in sessionStorage until the server answers, so a retry after a lost answer (even
// after a reload) replays the same top-up instead of booking it twice; any answer ends the attempt.
import { byId, newKey, rupiah } from "./common.js";
import { fieldError, fieldOf, receiptWords, send, showError, t } from "./money_shared.js";

const form = byId("topup");

function pending(kiosk) {
  try {
    return JSON.parse(sessionStorage.getItem(`topup:${kiosk}`) || "null");
  } catch {
    return null;
  }
}

function remember(kiosk, attempt) {
  if (attempt) sessionStorage.setItem(`topup:${kiosk}`, JSON.stringify(attempt));
  else sessionStorage.removeItem(`topup:${kiosk}`);
}

function showPending(attempt) {
  const note = byId("tu-pending");
  const amount = byId("amount");
  note.hidden = !attempt;
  amount.readOnly = Boolean(attempt); // the unconfirmed attempt must be settled with the same amount
  if (attempt) {
    amount.value = String(attempt.amount);
    note.textContent = t("pending_topup", { amount: rupiah(attempt.amount) });
  }
}

function showResult(body) {
  form.hidden = true;
  const box = byId("tu-result");
  box.hidden = false;
  byId("tu-result-h").textContent = t("topped_up", { amount: rupiah(body.amount) });
  byId("tu-balance").textContent = t("balance_after", { amount: rupiah(body.balance_after) });
  byId("tu-journal").textContent = `${t("journal")}: ${body.journal_id}`;
  byId("tu-receipt").textContent = body.replayed ? `${receiptWords(body.receipt)} · ${t("replayed")}` : receiptWords(body.receipt);
  byId("tu-result-h").focus();
  byId("tu-live").textContent = `${byId("tu-result-h").textContent}. ${byId("tu-balance").textContent}`;
}

async function submit(event) {
  event.preventDefault();
  const kiosk = form.dataset.kiosk;
  const input = byId("amount");
  const error = byId("amount-error");
  const raw = input.value.trim().replace(/\./g, ""); // "50.000" is how people write Rp 50.000
  fieldError(input, error, null);
  if (!/^\d{1,12}$/.test(raw)) {
    fieldError(input, error, null, t("amount_digits"));
    return;
  }
  const amount = Number(raw);
  const attempt = pending(kiosk) || { key: newKey("topup"), amount };
  remember(kiosk, attempt);
  const button = byId("tu-submit");
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  const r = await send("POST", "/api/v1/topups", { body: { amount: attempt.amount, kiosk }, key: attempt.key });
  button.disabled = false;
  button.removeAttribute("aria-busy");
  if (r.status === 0 || (r.status >= 500 && r.status !== 503)) { // no answer: the attempt stays open
    showPending(attempt);
    showError(error, r);
    return;
  }
  remember(kiosk, null);
  showPending(null);
  if (r.ok) {
    showResult(r.body);
    return;
  }
  const field = fieldOf(form, r);
  if (field) fieldError(field, error, r);
  else showError(error, r);
}

function again() {
  byId("tu-result").hidden = true;
  form.hidden = false;
  byId("amount").value = "";
  byId("amount").focus();
}

if (form) {
  form.addEventListener("submit", submit);
  byId("tu-again").addEventListener("click", again);
  showPending(pending(form.dataset.kiosk));
  byId("amount").focus();
}
