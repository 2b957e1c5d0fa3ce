// The game-day screen: polls the state once a second (one request at a time) and renders it
// with textContent only; the plot is SVG rendered and escaped by the server. Between polls
// the clock ticks on from the last state, so it moves smoothly on a projector.
"use strict";

const $ = (id) => document.getElementById(id);
let last = null;       // the last state
let receivedAt = 0;    // performance.now() when it arrived
let plotKey = null;    // the SVG shown, so it is not re-parsed every second

function clock(ms, sign) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const text = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  return sign ? (ms < 0 ? "-" : "+") + text : text;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.appendChild(c instanceof Node ? c : el("td", String(c)));
  return tr;
}

function fill(tableId, rows) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows);
}

function verdict(v) {
  const td = el("td", v, `verdict verdict-${v}`);
  return td;
}

function tickClock() {
  const d = last && last.drill;
  if (!d) return;
  const running = d.phase === "active";
  const since = running ? performance.now() - receivedAt : 0;
  const remaining = Math.max(0, d.remainingMs - since);
  const elapsed = Math.min(d.timeLimitSeconds * 1000, d.elapsedMs + since);
  $("clock").textContent = clock(remaining);
  $("elapsed").textContent = `${clock(elapsed)} elapsed of ${clock(d.timeLimitSeconds * 1000)}`;
}

function render(s) {
  const d = s.drill;
  $("incident").textContent = d ? d.incident : "waiting for a drill";
  const phase = d ? d.phase : "idle";
  $("phase").textContent = phase;
  $("phase").className = `phase phase-${phase}`;
  $("briefing-box").hidden = !d;
  $("briefing").textContent = d ? d.briefing : "";
  if (!d) { $("clock").textContent = "--:--"; $("elapsed").textContent = ""; }

  const diagnoses = d ? d.diagnoses : [];
  fill("diagnoses", diagnoses.map((x) => row([
    clock(x.atMs, true),
    x.team ? `${x.player} (${x.team})` : x.player,
    `${x.service} / ${x.faultClass}`,
    verdict(x.verdict),
  ])));
  $("no-diagnoses").hidden = diagnoses.length > 0;

  fill("results", s.results.map((r) => row([r.contestant, el("td", String(r.score), "num"), r.bestVerdict ? verdict(r.bestVerdict) : "-"])));
  fill("standings", s.standings.map((r) => row([r.isTeam ? `${r.name} (team)` : r.name, el("td", String(r.totalScore), "num"), `${r.drillsSolved}/${r.drillsPlayed}`])));

  const hints = d ? d.hints : [];
  $("hints").replaceChildren(...hints.map((h) => el("li", `${clock(h.atMs, true)} ${h.contestant} (-${h.cost}): ${h.text}`)));
  $("hints-left").textContent = d ? `${hints.length} of ${d.hintsAvailable} unlocked` : "";

  renderDebrief(s.debrief);
}

function renderDebrief(b) {
  $("debrief").hidden = !b;
  if (!b) { plotKey = null; $("plot").replaceChildren(); return; }
  $("debrief-title").textContent = `${b.title} (${b.scenario})`;
  $("truth").textContent = `${b.answer.service} / ${b.answer.faultClass}` + (b.winner ? `, found by ${b.winner}` : "");
  $("drawn").textContent = `culprit ${b.culprit}, ${b.difficulty}, seed ${b.seed} (replays the same draw)`;
  $("story").textContent = b.story;
  if (b.plot && b.plot.svg !== plotKey) {
    plotKey = b.plot.svg;
    // Server-rendered, every text escaped there; parsed as SVG, not as HTML.
    const doc = new DOMParser().parseFromString(b.plot.svg, "image/svg+xml");
    $("plot").replaceChildren(document.importNode(doc.documentElement, true));
  }
  $("plot-note").textContent = b.plot && b.plot.note ? b.plot.note : "";
  const apart = b.tellingApart || [];
  $("apart-title").hidden = apart.length === 0;
  $("apart").replaceChildren(...apart.map((t) =>
    el("li", `${t.player} said ${t.service} / ${t.faultClass} (${t.verdict}): ${t.text}`)));
  $("queries").replaceChildren(...b.queryLinks.map((q) => {
    const li = el("li");
    li.appendChild(el("span", `${q.why} (${q.backend}): `));
    const code = el("code", q.text);
    if (q.url) { const a = el("a"); a.href = q.url; a.target = "_blank"; a.rel = "noopener"; a.appendChild(code); li.appendChild(a); }
    else li.appendChild(code);
    return li;
  }));
  $("faults").replaceChildren(...b.faults.map((f) => el("li",
    `${f.service}${f.replica !== undefined ? ` replica ${f.replica}` : ""}: ${f.faults.map((x) => x.kind).join(", ")}`)));
  fill("timeline", b.timeline.map((e) => row([clock(e.atMs, true), describe(e.event)])));
}

function describe(e) {
  switch (e.kind) {
    case "warm-up": return "warm-up: baseline traffic";
    case "injected": return "faults injected, clock starts";
    case "signal": return `signal ${e.name} first showed`;
    case "hint": return `${e.contestant} took a hint (-${e.cost})`;
    case "diagnosis": return `${e.player}${e.team ? ` (${e.team})` : ""}: ${e.service} / ${e.faultClass}: ${e.verdict}`;
    case "ended": return `ended: ${e.ending}`;
    case "reverted": return "faults reverted";
    default: return e.kind;
  }
}

async function poll() {
  try {
    const resp = await fetch("api/state", { cache: "no-store" });
    if (!resp.ok) throw new Error(`answered ${resp.status}`);
    last = await resp.json();
    receivedAt = performance.now();
    render(last);
    tickClock();
    $("status").textContent = `updated ${new Date(last.serverTimeMs).toLocaleTimeString()}`;
  } catch (err) {
    $("status").textContent = `screen offline (${err.message}); retrying`;
  }
  setTimeout(poll, 1000);
}

setInterval(tickClock, 200);
poll();
