// Rendering the swipe screen from the checkout JSON (GET /api/v1/checkouts/<id>): pure DOM work,
// every text set with textContent (no HTML from data). The flow lives in operator.js.
import { bilingual, byId, h, kg, monthLabel, rupiah } from "./common.js";

const SCREENS = ["idle", "busy", "decided", "pin", "wait", "result"];
const SEVERITY_ORDER = { refuse: 0, product: 1, condition: 2, notice: 3 };

/** Show one screen; focus ``focusId`` only when the screen changes (re-renders keep focus). */
export function showScreen(name, focusId) {
  const section = byId(`screen-${name}`);
  const changed = section.hidden;
  for (const other of SCREENS) byId(`screen-${other}`).hidden = other !== name;
  document.body.dataset.screen = name;
  if (changed && focusId) byId(focusId)?.focus();
  return changed;
}

export function sacksText(t, quantity, sackKg) {
  if (!sackKg || quantity <= 0) return "";
  const whole = Math.floor(quantity / sackKg);
  const rest = quantity - whole * sackKg;
  const sacks = whole ? `${whole} ${t(whole === 1 ? "sack" : "sacks")} × ${sackKg} kg` : "";
  return [sacks, rest ? kg(rest) : ""].filter(Boolean).join(" + ");
}

function bpjsText(t, c) {
  const d = c.decision || {};
  if (!d.rule_in_force) return t("rule_off");
  const parts = [];
  const b = c.bpjs || {};
  parts.push(b.kpj ? `KPJ ${b.kpj}` : `KPJ: ${t("not_registered")}`);
  if (b.paid_through_before) parts.push(`${t("paid_through")} ${monthLabel(t, b.paid_through_before)}`);
  const due = d.contribution || { months: [], amount: 0 };
  if (d.registration_needed) parts.push(t("registration_in_swipe"));
  if (due.amount > 0) {
    parts.push(`${t("due")}: ${due.months.map((m) => monthLabel(t, m)).join(", ")} (${rupiah(due.amount)})`);
  } else if (b.kpj) {
    parts.push(t("nothing_due"));
  }
  return parts.join(" · ");
}

function reasonItem(t, advice, r) {
  const li = h("li", { class: `reason ${r.severity || "notice"}` });
  const message = h("p", { class: "why" });
  bilingual(message, r.message_id, r.message_en);
  li.append(message);
  if (advice.has(r.code)) li.append(h("p", { class: "what-next" }, advice.get(r.code)));
  return li;
}

export function renderFarmer(t, advice, c, facts) {
  const f = c.farmer;
  byId("farmer-name").textContent = f ? f.name || "—" : t("unknown_farmer");
  byId("f-nik").textContent = f ? f.masked_nik : "—";
  byId("f-group").textContent = f ? `${f.group} (${f.group_code})` : "—";
  const village = facts && facts.village ? `${facts.village}${facts.kecamatan ? `, ${facts.kecamatan}` : ""}` : (f ? f.village_code : "—");
  byId("f-village").textContent = village;
  byId("f-bpjs").textContent = bpjsText(t, c);
  const d = c.decision || { allowed: [], reasons: [] };
  byId("quota-season").textContent = d.season || "";
  const allowed = new Map(d.allowed.map((a) => [a.product, a]));
  const rows = (facts && facts.quota && facts.quota.length)
    ? facts.quota
    : d.allowed.map((a) => ({ product: a.product, name: a.name, left_kg: null }));
  byId("quota-rows").replaceChildren(...rows.map((q) => {
    const a = allowed.get(q.product);
    return h("tr", {},
      h("th", { scope: "row" }, q.name),
      h("td", {}, q.left_kg === null ? "—" : kg(q.left_kg)),
      h("td", {}, a ? kg(a.max_kg) : "0 kg"),
      h("td", {}, a ? rupiah(a.price_per_kg) : "—"));
  }));
  byId("quota-table").hidden = rows.length === 0;
  const reasons = [...d.reasons].sort((x, y) => (SEVERITY_ORDER[x.severity] ?? 9) - (SEVERITY_ORDER[y.severity] ?? 9));
  byId("reasons").replaceChildren(...reasons.map((r) => reasonItem(t, advice, r)));
}

function stepButton(label, act, product, aria) {
  return h("button", { type: "button", class: "step", dataset: { act, product }, "aria-label": aria }, label);
}

/** The product lines of the selection form (one row each) for the decision's allowed products. */
export function buildLines(t, c) {
  const allowed = (c.decision && c.decision.allowed) || [];
  byId("lines").replaceChildren(...allowed.map((a) => {
    const inputId = `kg-${a.product}`;
    return h("div", { class: "line", role: "group", "aria-labelledby": `name-${a.product}`, dataset: { product: a.product } },
      h("div", { class: "what" },
        h("span", { class: "name", id: `name-${a.product}` }, a.name),
        h("span", { class: "meta" }, `${t("price", { price: rupiah(a.price_per_kg) })} · ${t("may_buy", { kg: kg(a.max_kg) })}`)),
      stepButton(t("minus_sack"), "minus", a.product, `${t("minus_sack")} (${a.sack_kg} kg) ${a.name}`),
      h("label", { class: "visually-hidden", for: inputId }, t("kg_of", { name: a.name })),
      h("input", { id: inputId, class: "kg", type: "number", inputmode: "numeric", min: "0", max: String(a.max_kg),
                   step: "1", value: "0", autocomplete: "off", dataset: { product: a.product } }),
      h("span", { class: "unit", "aria-hidden": "true" }, "kg"),
      stepButton(t("plus_sack"), "plus", a.product, `${t("plus_sack")} (${a.sack_kg} kg) ${a.name}`),
      stepButton(t("max"), "max", a.product, `${t("max")} ${a.name} (${kg(a.max_kg)})`),
      h("output", { class: "amount", id: `amount-${a.product}`, for: inputId, "aria-live": "off" }, rupiah(0)));
  }));
  const none = byId("no-products");
  const contribution = (c.decision && c.decision.contribution && c.decision.contribution.amount) || 0;
  none.hidden = allowed.length > 0;
  none.textContent = contribution > 0 ? `${t("no_products")} ${t("pay_contribution_only")}` : t("no_products");
  byId("confirm").hidden = allowed.length === 0 && contribution === 0; // nothing to pay: only cancel
}

/** Parse the kg inputs against the allowed maximums: {lines, errors, fertilizer}. */
export function readSelection(c) {
  const lines = [];
  const errors = [];
  let fertilizer = 0;
  for (const a of (c.decision && c.decision.allowed) || []) {
    const input = byId(`kg-${a.product}`);
    const raw = input.value.trim();
    const value = raw === "" ? 0 : Number(raw);
    const bad = !Number.isInteger(value) || value < 0 || value > a.max_kg;
    input.setAttribute("aria-invalid", bad ? "true" : "false");
    if (bad) {
      errors.push(a);
      byId(`amount-${a.product}`).textContent = "—";
      continue;
    }
    byId(`amount-${a.product}`).textContent = rupiah(value * a.price_per_kg);
    fertilizer += value * a.price_per_kg;
    if (value > 0) lines.push({ product: a.product, kg: value });
  }
  return { lines, errors, fertilizer };
}

export function renderTotals(c, fertilizer) {
  const contribution = (c.decision && c.decision.contribution && c.decision.contribution.amount) || 0;
  byId("t-fert").textContent = rupiah(fertilizer);
  byId("t-contrib").textContent = rupiah(contribution);
  byId("t-total").textContent = rupiah(fertilizer + contribution);
  return fertilizer + contribution;
}

function productNames(c) {
  return new Map(((c.decision && c.decision.allowed) || []).map((a) => [a.product, a]));
}

function farmerLine(c) {
  return c.farmer ? `${c.farmer.name} · ${c.farmer.masked_nik}` : "";
}

export function renderPin(t, c) {
  byId("pin-farmer").textContent = farmerLine(c);
  byId("pin-total").textContent = rupiah(c.totals.total);
  const names = productNames(c);
  const parts = ((c.selection && c.selection.lines) || []).map((l) => `${(names.get(l.product) || { name: l.product }).name} ${kg(l.kg)}`);
  if (c.totals.contribution) parts.push(`BPJS ${rupiah(c.totals.contribution)}`);
  byId("pin-lines").textContent = parts.join(" · ");
  const note = byId("pin-note");
  if (c.note && c.note.message_en) bilingual(note, c.note.message_id, c.note.message_en);
  else note.replaceChildren();
}

export function renderWait(t, c) {
  byId("wait-farmer").textContent = farmerLine(c);
  byId("wait-text").textContent = t(`bpjs.${c.state}`);
  byId("wait-journal").textContent = c.journal_id || "—";
  byId("wait-total").textContent = rupiah(c.totals.total);
  byId("wait-h").textContent = c.state === "exception" ? t("exception") : byId("wait-h").dataset.title;
}

function handoverItems(t, c) {
  const names = productNames(c);
  return ((c.selection && c.selection.lines) || []).map((l) => {
    const a = names.get(l.product) || { name: l.product, sack_kg: 0 };
    const sacks = sacksText(t, l.kg, a.sack_kg);
    return h("li", {}, h("strong", {}, `${a.name} ${kg(l.kg)}`), sacks ? ` (${sacks})` : "");
  });
}

function moneyLines(t, c) {
  const out = [];
  const months = (c.selection && c.selection.months) || [];
  if (c.totals.contribution && months.length) {
    out.push(`${t("paid_months")}: ${months.map((m) => monthLabel(t, m)).join(", ")} (${rupiah(c.totals.contribution)})`);
  }
  if (c.bpjs && c.bpjs.paid_through_after) out.push(`${t("paid_through_now")}: ${monthLabel(t, c.bpjs.paid_through_after)}`);
  if (c.bpjs && c.bpjs.reference) out.push(`${t("reference")}: ${c.bpjs.reference}`);
  if (c.totals.total) out.push(`${t(c.tender === "cash" ? "take_cash" : "card_debited")}: ${rupiah(c.totals.total)}`);
  return out;
}

/** The receipt line: the agent's own message when the field carries one (print API shape:
 * state printed|queued, message_id, message_en), else the state in words. */
function renderReceipt(t, node, receipt) {
  const state = receipt.state || receipt.status || "";
  const label = t(`receipt.${state}`) === `receipt.${state}` ? state : t(`receipt.${state}`);
  if (receipt.message_id || receipt.message_en) bilingual(node, receipt.message_id, receipt.message_en);
  else node.textContent = `${t("receipt")}: ${label}`;
  node.dataset.state = state;
}

export function renderResult(t, advice, c, note) {
  const done = c.state === "completed";
  byId("result-h").textContent = t(c.state);
  byId("result-farmer").textContent = farmerLine(c);
  byId("screen-result").dataset.outcome = c.state;
  const reason = byId("result-reason");
  const next = byId("result-advice");
  if (c.error) {
    bilingual(reason, c.error.message_id, c.error.message);
  } else {
    reason.replaceChildren();
  }
  next.textContent = [note, c.error && advice.get(c.error.code)].filter(Boolean).join(" ");
  const items = done ? handoverItems(t, c) : [];
  byId("handover-block").hidden = !done;
  byId("handover").replaceChildren(...(items.length ? items : [h("li", {}, t("nothing_handed"))]));
  byId("result-money").replaceChildren(...(done ? moneyLines(t, c) : []).map((line) => h("li", {}, line)));
  byId("result-journal").textContent = c.journal_id ? `${t("journal")}: ${c.journal_id}` : "";
  const receipt = byId("result-receipt");
  const hasReceipt = Boolean(c.receipt && typeof c.receipt === "object");
  receipt.hidden = !hasReceipt;
  if (hasReceipt) renderReceipt(t, receipt, c.receipt);
  else receipt.replaceChildren();
}
