// The device status panel: GET /api/v1/devices/status every few seconds, one value per <dd>.
import { api, bilingual, byId, sleep, strings, translator } from "./common.js";

const t = translator(strings("strings-status", "strings-common"));
const every = Number(byId("status").dataset.refreshMs) || 3000;

function put(id, text, health) {
  const dd = byId(id);
  dd.textContent = text;
  if (health !== undefined) dd.className = health ? "good" : "bad";
}

function renderAgent(agent) {
  const ok = Boolean(agent && agent.ok);
  const err = byId("st-error");
  if (!ok) {
    bilingual(err, agent?.error?.message_id || t("problem"), agent?.error?.message || "");
    err.hidden = false;
  } else {
    err.hidden = true;
  }
  put("st-agent", ok ? t("connected") : t("disconnected"), ok);
  const pcscd = ok ? agent.pcscd || {} : {};
  put("st-pcscd", ok ? t(pcscd.up ? "up" : "down") : t("unknown"), ok && Boolean(pcscd.up));
  const reader = ok ? agent.reader || {} : {};
  put("st-reader", reader.name || t("none"));
  put("st-card", ok ? t(reader.card_present ? "present" : "absent") : t("unknown"));
  const pad = ok ? agent.pinpad : null;
  put("st-pinpad", !pad ? t("not_configured") : pad.connected ? t(`state.${pad.state || "ready"}`) : `${t("disconnected")} (${pad.error || "?"})`,
    Boolean(pad && pad.connected));
  const printer = ok ? agent.printer : null;
  const printerOk = Boolean(printer && printer.connected && printer.can_print !== false);
  let printerText = !printer ? t("not_configured") : printer.connected ? t(`state.${printer.state || "ready"}`) : t("disconnected");
  if (printer && printer.cover_open) printerText += ` · ${t("cover_open")}`;
  put("st-printer", printerText, printerOk);
  put("st-paper", printer ? t(`paper.${printer.paper || "unknown"}`) : "—");
  put("st-queue", printer ? t("queued", { count: printer.queued ?? 0 }) : "—");
}

function render(s) {
  renderAgent(s.agent);
  const b = s.bpjs || {};
  put("st-bpjs", b.configured ? t("yes") : t("not_configured"), Boolean(b.configured));
  put("st-latency", b.latency_ms == null ? t("unknown") : t("ms", { value: Math.round(b.latency_ms) }));
  put("st-offset", b.clock_offset_ms == null ? t("unknown")
    : t("offset", { value: b.clock_offset_ms, uncertainty: b.clock_uncertainty_ms ?? "?" }));
  const l = s.ledger || {};
  put("st-pending", String(l.pending_journals ?? "—"));
  put("st-db", `${l.backend || "?"} · ${t("ms", { value: l.database_ms ?? "?" })}`);
  const alive = Boolean(s.worker && s.worker.alive);
  put("st-worker", t(alive ? "alive" : "stopped"), alive);
}

async function loop() {
  for (;;) {
    try {
      const r = await api("GET", "/api/v1/devices/status");
      if (r.ok && r.body) {
        render(r.body);
        const now = new Date();
        byId("st-updated").textContent = t("updated", { time: now.toLocaleTimeString("en-GB", { timeZone: "Asia/Makassar", hourCycle: "h23" }) + " WITA" });
      }
    } catch {
      byId("st-updated").textContent = t("network");
    }
    await sleep(every);
  }
}

loop();
