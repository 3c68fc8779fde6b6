// The bank settlement file: checked here for type and size (the server checks everything again),
// then sent as a multipart upload to POST /api/v1/bank-imports. The answer is the import's report,
// or every problem of a refused file by line and column, in both languages.
import { bilingual, byId, h, rupiah } from "./common.js";
import { fieldError, t } from "./money_shared.js";

const form = byId("bank");

function upload(file) {
  const data = new FormData();
  data.append("file", file, file.name);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  return fetch("/api/v1/bank-imports", {
    method: "POST", body: data, credentials: "same-origin", cache: "no-store",
    headers: { Accept: "application/json", "X-CSRFToken": csrf },
  }).then(async (resp) => ({ ok: resp.ok, status: resp.status, body: await resp.json().catch(() => null) }),
    () => ({ ok: false, status: 0, body: null }));
}

function problemRows(problems) {
  return problems.map((p) => {
    const cell = h("td");
    bilingual(cell, p.message_id, p.message_en);
    return h("tr", {}, h("td", {}, String(p.line)), h("td", {}, p.column || "—"), cell);
  });
}

async function submit(event) {
  event.preventDefault();
  const input = byId("bank-file");
  const error = byId("bank-error");
  fieldError(input, error, null);
  const file = input.files[0];
  if (!file) return fieldError(input, error, null, t("file_missing"));
  if (!/\.csv$/i.test(file.name) && file.type !== "text/csv") return fieldError(input, error, null, t("file_type"));
  if (file.size > Number(form.dataset.maxBytes)) return fieldError(input, error, null, t("file_big", { max: form.dataset.maxMb }));
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const r = await upload(file);
  button.disabled = false;
  const box = byId("bank-result");
  const heading = byId("bank-result-h");
  const table = byId("bank-problems");
  box.hidden = false;
  table.hidden = true;
  byId("bank-summary").replaceChildren();
  if (r.ok) {
    const b = r.body;
    heading.textContent = b.replayed ? t("import_replayed") : t("imported", {
      rows: b.rows, total: rupiah(b.total), new: b.new_rows, total_new: rupiah(b.total_new) });
    byId("bank-summary").textContent = `${b.filename} · SHA-256 ${b.sha256.slice(0, 16)}…`;
  } else if (r.status === 0) {
    heading.textContent = t("network_retry");
  } else {
    const err = (r.body && r.body.error) || {};
    bilingual(heading, err.message_id || t("failed"), err.message || "");
    const problems = (err.details && err.details.problems) || [];
    table.hidden = problems.length === 0;
    table.querySelector("tbody").replaceChildren(...problemRows(problems));
  }
  heading.focus();
  byId("bk-live").textContent = heading.textContent;
}

form.addEventListener("submit", submit);
