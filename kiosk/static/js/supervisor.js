// The exception queue: each form resolves one stuck payment through
// POST /api/v1/exceptions/<id>/resolve {outcome, reason} (with the CSRF header).
import { api, bilingual, byId, h, strings, translator } from "./common.js";

const t = translator(strings("strings-supervisor", "strings-common"));

async function resolve(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector(".field-error");
  const outcome = form.querySelector('input[name="outcome"]:checked');
  const reason = form.querySelector("textarea").value.trim();
  if (!outcome) {
    error.textContent = t("choose_outcome");
    form.querySelector('input[name="outcome"]').focus();
    return;
  }
  if (reason.length < 5) {
    error.textContent = t("reason_short");
    form.querySelector("textarea").focus();
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  let r;
  try {
    r = await api("POST", `/api/v1/exceptions/${form.dataset.id}/resolve`, { body: { outcome: outcome.value, reason } });
  } catch {
    error.textContent = t("network");
    button.disabled = false;
    return;
  }
  if (!r.ok) {
    const err = (r.body && r.body.error) || {};
    bilingual(error, err.message_id || t("failed"), err.message || "");
    button.disabled = false;
    return;
  }
  const item = byId(`x-${form.dataset.id}`);
  const done = h("p", { class: `resolved ${outcome.value}`, tabindex: "-1" }, t(`resolved.${r.body.state === "completed" ? "posted" : "voided"}`));
  form.replaceWith(done);
  item.classList.add("done");
  done.focus();
  byId("sv-live").textContent = done.textContent;
}

for (const form of document.querySelectorAll("form.resolve")) form.addEventListener("submit", resolve);
