// Shared helpers for the kiosk pages: translated words, JSON calls with the CSRF token, and
// Indonesian formatting (Rp 16.800, 1.250 kg, WITA times). No framework, no inline script.

const LANG = document.documentElement.lang || "id";

/** The words a page's <template id="..."> carries, as a Map key -> text. */
export function strings(...ids) {
  const out = new Map();
  for (const id of ids) {
    const tpl = document.getElementById(id);
    if (!tpl) continue;
    for (const span of tpl.content.querySelectorAll("[data-k]")) out.set(span.dataset.k, span.textContent);
  }
  return out;
}

/** A translator over ``words``: t("key", {max: 5}) fills %(max)s placeholders. */
export function translator(words) {
  return (key, vars = {}) => {
    const text = words.has(key) ? words.get(key) : key;
    return text.replace(/%\((\w+)\)s/g, (_, name) => (name in vars ? String(vars[name]) : ""));
  };
}

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

/** A JSON call to our own server. Resolves {ok, status, body}; rejects only when the network fails. */
export async function api(method, url, { body, key, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrf();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  const resp = await fetch(url, {
    method, headers, signal, credentials: "same-origin", cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (resp.status === 401) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
  }
  return { ok: resp.ok, status: resp.status, body: data };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh idempotency key (works without a secure context, unlike crypto.randomUUID). */
export function newKey(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

const group = (n) => String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
export const rupiah = (n) => `${n < 0 ? "-" : ""}Rp ${group(n)}`;
export const kg = (n) => `${group(n)} kg`;

/** "2026-05" -> "Mei 2026" with the page's month names. */
export function monthLabel(t, ym) {
  const m = /^(\d{4})-(\d{2})$/.exec(ym || "");
  return m ? `${t(`month.${Number(m[2])}`)} ${m[1]}` : ym || "";
}

/** An ISO time shown in Soppeng's zone: "04-12-2026 14:05 WITA" (as the server's ``wita`` filter). */
export function wita(iso) {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Makassar", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(iso));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.day}-${p.month}-${p.year} ${p.hour}:${p.minute} WITA`;
}

/** The message in the page's language first; the other language after it, marked with its lang. */
export function bilingual(node, messageId, messageEn) {
  node.replaceChildren();
  const [first, second] = LANG === "en" ? [[messageEn, "en"], [messageId, "id"]] : [[messageId, "id"], [messageEn, "en"]];
  for (const [text, lang] of [first, second]) {
    if (!text) continue;
    const span = document.createElement("span");
    span.lang = lang;
    span.className = node.childNodes.length ? "other-lang" : "main-lang";
    span.textContent = text;
    node.append(span);
  }
}

/** document.createElement with attributes, properties and children in one call. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name in node && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export const byId = (id) => document.getElementById(id);
