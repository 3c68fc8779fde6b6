// The operator's swipe screen: reacts to card insert/remove (long-poll of /api/v1/card/events),
// starts a checkout per insertion (Idempotency-Key per insertion, kept in sessionStorage so a
// reload resumes the same checkout), follows it (long-poll of /api/v1/checkouts/<id>?after=) and
// sends the operator's selection, tender and cancel. Rendering: operator_view.js.
import { api, bilingual, byId, h, kg, newKey, rupiah, sleep, strings, translator } from "./common.js";
import * as view from "./operator_view.js";

const root = byId("op");
const kiosk = root.dataset.kiosk;
const farmerUrl = (id) => root.dataset.farmerUrl.replace("00000000-0000-0000-0000-000000000000", id);
const t = translator(strings("strings-operator", "strings-common"));
const advice = strings("strings-advice");
const BEFORE_CONSENT = new Set(["created", "identified", "decided", "selected"]);
const WAITING = new Set(["pending", "registering", "paying", "unresolved", "exception"]);
const LEDGER = new Set(["consented", "booked", "refused"]);

const app = {
  cursor: 0,
  card: { present: false, insertion: null, at: null },
  readerOk: true,
  current: null, // the checkout on screen (its JSON)
  followGen: 0,
  formFor: null, // the checkout id the selection form was built for
  confirmKeys: new Map(), // checkout id -> Idempotency-Key of its confirm (a retry reuses it)
  sending: false,
  notes: new Map(), // checkout id -> what the screen itself saw (e.g. the card was pulled)
};

// ---- network state ------------------------------------------------------------------------

function network(up) {
  const banner = byId("net");
  banner.hidden = up;
  banner.textContent = up ? "" : t("network");
}

async function call(method, url, options) {
  for (;;) {
    try {
      const r = await api(method, url, options);
      network(true);
      return r;
    } catch {
      network(false);
      await sleep(1000);
    }
  }
}

function announce(text) {
  byId("live").textContent = text;
}

// ---- screens ------------------------------------------------------------------------------

function showIdle() {
  app.followGen += 1;
  app.current = null;
  view.showScreen("idle", "idle-h");
  renderReader();
  refreshOpenList();
}

function renderReader() {
  const state = byId("reader-state");
  state.textContent = !app.readerOk ? t("no_reader") : t(app.card.present ? "card_in" : "card_out");
  state.className = `reader-state ${app.readerOk ? (app.card.present ? "in" : "out") : "problem"}`;
  byId("start").hidden = !(app.readerOk && app.card.present && byId("screen-idle").hidden === false);
}

async function refreshOpenList() {
  const r = await call("GET", "/api/v1/checkouts?open=1&limit=20");
  if (!r.ok || !r.body) return;
  const waiting = r.body.checkouts.filter((c) => c.journal_id && !c.final);
  byId("open-list").hidden = waiting.length === 0;
  byId("open-items").replaceChildren(...waiting.map((c) => h("li", {},
    h("span", { class: "mono" }, c.journal_id), ` · ${rupiah(c.totals.total)} · `,
    h("button", { type: "button", class: "secondary small", onclick: () => follow(c) }, t("open")))));
}

function render(c) {
  if (c.state === "created" || c.state === "identified") {
    byId("busy-h").textContent = t(c.state === "created" ? "reading" : "deciding");
    view.showScreen("busy", "busy-h");
  } else if (c.state === "decided") {
    showDecided(c);
  } else if (c.state === "selected" || c.state === "awaiting_pin") {
    view.renderPin(t, c);
    if (view.showScreen("pin", "pin-h")) announce(byId("pin-h").textContent);
  } else if (LEDGER.has(c.state)) {
    byId("busy-h").textContent = t("ledger");
    view.showScreen("busy", "busy-h");
  } else if (WAITING.has(c.state)) {
    view.renderWait(t, c);
    if (view.showScreen("wait", "wait-h")) announce(byId("wait-h").textContent);
  } else {
    view.renderResult(t, advice, c, app.notes.get(c.id));
    if (view.showScreen("result", "result-next")) announce(byId("result-h").textContent);
  }
}

async function showDecided(c) {
  const fresh = app.formFor !== c.id;
  if (fresh) {
    app.formFor = c.id;
    view.buildLines(t, c);
    byId("sel-error").replaceChildren();
    byId("tender-card").checked = true;
    view.renderFarmer(t, advice, c, null);
    updateTotals();
  }
  const first = document.querySelector("#lines input.kg") || (byId("confirm").hidden ? byId("cancel") : byId("confirm"));
  if (view.showScreen("decided", first.id)) announce(byId("farmer-name").textContent);
  if (fresh) { // quota left and the village's name: the panel fills in when they arrive
    const r = await call("GET", farmerUrl(c.id));
    if (r.ok && app.current && app.current.id === c.id) view.renderFarmer(t, advice, c, r.body);
  }
}

// ---- following a checkout -----------------------------------------------------------------

function receiptPending(c) {
  const r = c.receipt;
  return Boolean(r && typeof r === "object" && ["pending", "queued", "unsent"].includes(r.state || r.status));
}

function follow(c) {
  const gen = ++app.followGen;
  app.current = c;
  render(c);
  (async () => {
    let version = c.version;
    let receipt = JSON.stringify(c.receipt ?? null);
    for (let extra = 0; gen === app.followGen && extra < 60;) {
      const current = app.current;
      if (current.final && !receiptPending(current)) return;
      const wait = current.final ? 0 : 5;
      if (current.final) {
        extra += 1;
        await sleep(1000);
      }
      const r = await call("GET", `/api/v1/checkouts/${c.id}?after=${current.final ? -1 : version}&wait=${wait}`);
      if (gen !== app.followGen || r.status === 404) return; // another checkout on screen, or none such
      if (!r.ok || !r.body) {
        await sleep(1000);
        continue;
      }
      const nextReceipt = JSON.stringify(r.body.receipt ?? null);
      if (r.body.version !== version || nextReceipt !== receipt) {
        app.current = r.body;
        render(r.body);
      }
      version = r.body.version;
      receipt = nextReceipt;
    }
  })();
}

function keyFor(insertion, at, fresh) {
  const slot = `swipe:${kiosk}:${insertion}:${at}`;
  let key = fresh ? null : sessionStorage.getItem(slot);
  if (!key) {
    key = newKey("swipe");
    sessionStorage.setItem(slot, key);
  }
  return key;
}

async function startCheckout(fresh) {
  const { insertion, at } = app.card;
  app.followGen += 1;
  byId("busy-h").textContent = t("reading");
  view.showScreen("busy", "busy-h");
  const r = await call("POST", "/api/v1/checkouts", { key: keyFor(insertion, at, fresh) });
  if (r.ok) {
    follow(r.body);
    return;
  }
  showIdle();
  const err = (r.body && r.body.error) || {};
  bilingual(byId("idle-error"), err.message_id, err.message || String(r.status));
}

async function cancelCurrent(reasonNote) {
  const c = app.current;
  if (!c || c.final || !(BEFORE_CONSENT.has(c.state) || c.state === "awaiting_pin")) return;
  if (reasonNote) app.notes.set(c.id, reasonNote);
  const r = await call("POST", `/api/v1/checkouts/${c.id}/cancel`);
  if (r.ok && app.current && app.current.id === c.id) {
    app.current = r.body;
    render(r.body);
  }
}

// ---- the operator's selection ---------------------------------------------------------------

function updateTotals() {
  const c = app.current;
  if (!c || c.state !== "decided") return null;
  const sel = view.readSelection(c);
  view.renderTotals(c, sel.fertilizer);
  return sel;
}

function step(product, act) {
  const a = app.current.decision.allowed.find((x) => x.product === product);
  const input = byId(`kg-${product}`);
  const now = Number.parseInt(input.value, 10) || 0;
  const next = act === "max" ? a.max_kg : act === "plus" ? Math.min(a.max_kg, now + a.sack_kg) : Math.max(0, now - a.sack_kg);
  input.value = String(next);
  updateTotals();
}

async function confirm(event) {
  event.preventDefault();
  const c = app.current;
  if (!c || c.state !== "decided" || app.sending) return;
  const sel = updateTotals();
  const error = byId("sel-error");
  if (sel.errors.length) {
    const a = sel.errors[0];
    error.textContent = `${a.name}: ${t("kg_invalid", { max: kg(a.max_kg) })}`;
    byId(`kg-${a.product}`).focus();
    return;
  }
  const contribution = c.decision.contribution.amount || 0;
  if (!sel.lines.length && !contribution) {
    error.textContent = t("select_something");
    return;
  }
  if (!app.confirmKeys.has(c.id)) app.confirmKeys.set(c.id, newKey("confirm"));
  const tender = document.querySelector('input[name="tender"]:checked').value;
  app.sending = true;
  byId("confirm").disabled = true;
  try {
    const r = await call("POST", `/api/v1/checkouts/${c.id}/confirm`,
      { key: app.confirmKeys.get(c.id), body: { lines: sel.lines, tender } });
    if (r.ok) {
      app.current = r.body;
      render(r.body);
      return;
    }
    app.confirmKeys.delete(c.id); // refused: the corrected selection is a new request
    const err = (r.body && r.body.error) || {};
    bilingual(error, err.message_id || t("confirm_failed"), err.message || "");
  } finally {
    app.sending = false;
    byId("confirm").disabled = false;
  }
}

// ---- card events --------------------------------------------------------------------------

function onCardEvent(e, live) {
  if (e.kind === "inserted") {
    app.card = { present: true, insertion: e.insertion, at: e.at };
    app.readerOk = true;
    if (live) onInserted();
  } else if (e.kind === "removed") {
    app.card = { ...app.card, present: false };
    if (live) cancelCurrent(t("card_removed_note"));
  } else if (e.kind === "reader_lost") {
    app.readerOk = false;
  } else if (e.kind === "reader_back") {
    app.readerOk = true;
  }
}

async function onInserted() {
  await cancelCurrent(null);
  byId("idle-error").replaceChildren();
  startCheckout(false);
}

async function cardLoop() {
  let first = true;
  for (;;) {
    const r = await call("GET", `/api/v1/card/events?after=${app.cursor}&wait=${first ? 0 : 5}`);
    const b = r.body;
    if (!r.ok || !b || !b.ok) {
      app.readerOk = false;
      renderReader();
      await sleep(1000);
      continue;
    }
    if (b.cursor < app.cursor) { // the agent restarted: its events start again
      app.cursor = 0;
      continue;
    }
    for (const e of b.events) onCardEvent(e, !first);
    app.cursor = b.cursor;
    if (first) {
      first = false;
      app.readerOk = true;
      if (app.card.present) startCheckout(false); // a reload with the card in: the same checkout again
      else showIdle();
    }
    renderReader();
  }
}

// ---- wiring -------------------------------------------------------------------------------

function wire() {
  byId("selection").addEventListener("submit", confirm);
  byId("lines").addEventListener("click", (e) => {
    const button = e.target.closest("button.step");
    if (button) step(button.dataset.product, button.dataset.act);
  });
  byId("lines").addEventListener("input", updateTotals);
  for (const id of ["cancel", "pin-cancel"]) byId(id).addEventListener("click", () => cancelCurrent(null));
  byId("wait-next").addEventListener("click", showIdle);
  byId("result-next").addEventListener("click", showIdle);
  byId("start").addEventListener("click", () => startCheckout(true));
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    const screen = document.body.dataset.screen;
    if (screen === "decided" || screen === "pin") {
      e.preventDefault();
      cancelCurrent(null);
    }
  });
}

wire();
cardLoop();
