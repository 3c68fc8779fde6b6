// Today's sales: a copy of a receipt (POST /api/v1/checkouts/<id>/reprint) and, for supervisors,
// a same-day reversal (POST .../reverse {reason}). Each action has its Idempotency-Key per attempt,
// reused when the answer was lost (a retry prints one copy, reverses once).
import { h, newKey, rupiah } from "./common.js";
import { fieldError, fieldOf, receiptWords, send, showError, t } from "./money_shared.js";

const attempts = new Map(); // "<action>:<checkout id>" -> the key of the attempt without an answer yet

async function act(form, action, body) {
  const id = form.dataset.id;
  const slot = `${action}:${id}`;
  const key = attempts.get(slot) || newKey(action);
  attempts.set(slot, key);
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const r = await send("POST", `/api/v1/checkouts/${id}/${action}`, { body, key });
  button.disabled = false;
  if (r.status !== 0) attempts.delete(slot); // answered: the next press is a new attempt
  return r;
}

async function reprint(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector(".field-error");
  error.replaceChildren();
  const r = await act(form, "reprint", {});
  if (!r.ok) {
    showError(error, r);
    return;
  }
  const note = form.querySelector(".done-note");
  note.textContent = `${t("copy_sent")} · ${receiptWords(r.body)}`;
  document.getElementById("rc-live").textContent = note.textContent;
}

async function reverse(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector(".field-error");
  const reason = form.querySelector("textarea");
  fieldError(reason, error, null);
  if (reason.value.trim().length < 5) {
    fieldError(reason, error, null, t("reason_short"));
    return;
  }
  const r = await act(form, "reverse", { reason: reason.value.trim() });
  if (!r.ok) {
    const field = fieldOf(form, r);
    if (field) fieldError(field, error, r);
    else showError(error, r);
    return;
  }
  const b = r.body;
  const done = h("div", { class: "reversed", tabindex: "-1" },
    h("p", {}, t("reversed", { amount: rupiah(b.refund), tender: t(`tender.${b.refund_to}`) })),
    b.contribution_kept ? h("p", {}, t("contribution_kept", { amount: rupiah(b.contribution_kept) })) : null,
    h("p", { class: "mono" }, `${t("journal")}: ${b.reversal_journal_id}`),
    h("p", {}, receiptWords(b.receipt)));
  form.closest("details").replaceWith(done);
  done.focus();
  document.getElementById("rc-live").textContent = done.textContent;
}

for (const form of document.querySelectorAll("form.reprint")) form.addEventListener("submit", reprint);
for (const form of document.querySelectorAll("form.reverse")) form.addEventListener("submit", reverse);
