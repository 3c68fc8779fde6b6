// The demo control page (demo mode only): insert and remove the emulated cards, press keys on the
// emulated PIN pad, and follow the readers, the pad and the printer's latest receipts
// (GET /demo/state about every second). Every action goes through the page's forms to /demo/*.
import { api, bilingual, byId, h, rupiah, sleep, strings, translator } from "./common.js";

const t = translator(strings("strings-demo", "strings-common"));
const root = byId("demo");
const every = Number(root.dataset.refreshMs) || 1000;
let receiptsShown = "";
let wake = null; // resolves the loop's sleep early after an action

const rows = () => document.querySelectorAll("tr[data-card]");
const cardName = (number) => document.querySelector(`tr[data-card="${number}"] .name`)?.textContent || number;

function showError(node, error) {
  if (error) bilingual(node, error.message_id, error.message);
  else node.replaceChildren();
  if (node.id === "demo-error") node.hidden = !error;
}

function renderReaders(readers) {
  const where = new Map();
  for (const r of readers) {
    const item = document.querySelector(`li.reader[data-slot="${r.slot}"]`);
    if (!item) continue;
    byId(`reader-${r.slot}`).textContent = r.card_number ? `${cardName(r.card_number)} · ${r.card_number}` : t("empty");
    item.classList.toggle("full", Boolean(r.card_number));
    item.querySelector("form.remove").hidden = !r.card_number;
    if (r.card_number) where.set(r.card_number, r.slot);
  }
  for (const row of rows()) {
    const slot = where.get(row.dataset.card);
    const inserted = slot !== undefined;
    row.classList.toggle("inserted", inserted);
    row.querySelector("form.insert").hidden = inserted;
    const remove = row.querySelector("form.remove");
    remove.hidden = !inserted;
    remove.elements.slot.value = inserted ? String(slot) : "";
    row.querySelector(".where").textContent = inserted ? t("in_reader", { slot }) : "";
  }
}

function renderTries(tries) {
  for (const row of rows()) {
    const left = tries[row.dataset.card];
    row.querySelector(".tries").textContent = left === undefined || left === null ? "" : t("tries", { count: left });
  }
}

function renderPad(pad) {
  const state = byId("pad-state");
  if (!pad) {
    state.textContent = t("pad.off");
    byId("pad-typed").textContent = "";
    return;
  }
  const busy = pad.state === "busy";
  let text = busy ? t("pad.busy") : t("pad.ready");
  if (busy && pad.amount) text += ` · ${rupiah(pad.amount)}`;
  if (pad.typed) text += ` · ${t("pad.typed", { count: pad.typed })}`;
  state.textContent = text;
  state.parentElement.classList.toggle("busy", busy);
  byId("pad-typed").textContent = "•".repeat(pad.typed || 0);
}

function renderReceipts(receipts) {
  const key = receipts.map((r) => r.number).join(",");
  byId("no-receipts").hidden = receipts.length > 0;
  if (key === receiptsShown) return; // unchanged: keep the reader's place
  receiptsShown = key;
  byId("receipts").replaceChildren(...receipts.map((r) => h("li", { class: "receipt", dataset: { number: String(r.number) } },
    h("h3", {}, t("receipt", { number: r.number })),
    h("pre", { class: "paper" }, r.text),
    ...r.qr.map((payload) => h("p", { class: "qr" }, h("span", { class: "meta" }, `${t("qr")}: `), h("code", {}, payload))))));
}

function render(s) {
  if (s.readers) renderReaders(s.readers);
  if (s.tries) renderTries(s.tries);
  renderPad(s.pinpad);
  renderReceipts(s.receipts || []);
  showError(byId("demo-error"), s.errors && s.errors[0]);
}

async function refresh() {
  try {
    const r = await api("GET", "/demo/state");
    if (r.ok && r.body) {
      render(r.body);
      byId("demo-updated").textContent = t("updated", {
        time: `${new Date().toLocaleTimeString("en-GB", { timeZone: "Asia/Makassar", hourCycle: "h23" })} WITA`,
      });
    } else {
      showError(byId("demo-error"), r.body?.error);
    }
  } catch {
    showError(byId("demo-error"), { message_id: t("network"), message: "" });
  }
}

async function loop() {
  for (;;) {
    await refresh();
    await Promise.race([sleep(every), new Promise((resolve) => { wake = resolve; })]);
  }
}

/** Submit one of the page's forms as JSON; errors go to ``errorNode`` in both languages. */
async function send(form, body, errorNode, buttons) {
  for (const b of buttons) b.disabled = true;
  try {
    // getAttribute: the pad's keys are named "action", which would shadow form.action
    const r = await api("POST", form.getAttribute("action"), { body });
    showError(errorNode, r.ok ? null : r.body?.error || { message_id: String(r.status), message: "" });
    if (r.ok && r.body?.pinpad) renderPad(r.body.pinpad);
  } catch {
    showError(errorNode, { message_id: t("network"), message: "" });
  } finally {
    for (const b of buttons) b.disabled = false;
    if (wake) wake();
  }
}

function chosenSlot() {
  const checked = document.querySelector('input[name="slot-choice"]:checked');
  return checked ? Number(checked.value) : Number(root.dataset.kioskSlot || 0);
}

document.addEventListener("submit", (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement) || !root.contains(form)) return;
  ev.preventDefault();
  const buttons = form.querySelectorAll("button");
  if (form.classList.contains("insert")) {
    send(form, { card_number: form.elements.card_number.value, slot: chosenSlot() }, byId("cards-error"), buttons);
  } else if (form.classList.contains("remove")) {
    send(form, { slot: Number(form.elements.slot.value) }, byId("cards-error"), buttons);
  } else if (form.id === "pad-form") {
    const key = ev.submitter;
    const body = key && key.name === "digit" ? { action: "digit", digit: key.value } : { action: key ? key.value : "ok" };
    send(form, body, byId("pad-error"), key ? [key] : []);
  }
});

loop();
