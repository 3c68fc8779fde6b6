// What the money pages share on top of common.js: their words, an API call that reports a failed
// network as an answer, errors put next to their field, and a receipt's print state in words.
import { api, bilingual, strings, translator } from "./common.js";

export const t = translator(strings("strings-money", "strings-common"));

/** api() that never rejects: a network failure is {ok: false, status: 0}. */
export async function send(method, url, options) {
  try {
    return await api(method, url, options);
  } catch {
    return { ok: false, status: 0, body: null };
  }
}

/** The API's refusal (both languages) in ``node``; a network failure as such. */
export function showError(node, r) {
  if (r.status === 0) {
    node.textContent = t("network_retry");
    return;
  }
  const err = (r.body && r.body.error) || {};
  bilingual(node, err.message_id || t("failed"), err.message || "");
}

/** The field an API error names (``details.field``), if the form has it. */
export function fieldOf(form, r) {
  const name = r.body && r.body.error && r.body.error.details && r.body.error.details.field;
  return name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
}

/** Mark ``input`` invalid with the message in ``errorNode`` (or clear both when ``r`` is null). */
export function fieldError(input, errorNode, r, text) {
  if (!r && !text) {
    input.removeAttribute("aria-invalid");
    errorNode.replaceChildren();
    return;
  }
  input.setAttribute("aria-invalid", "true");
  if (text) errorNode.textContent = text;
  else showError(errorNode, r);
  input.focus();
}

export const receiptWords = (receipt) => `${t("receipt")}: ${t(`receipt.${receipt ? receipt.state : "pending"}`)}`;
