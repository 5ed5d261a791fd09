// The chipdemand live page: edit a study (rows or text), re-run a preview on every edit, then the
// full run; show densities, exceedance, scenarios, drivers, references and years.
import { bars, density, exceedance, fan, fmt, forest, spark } from "./plots.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token") || sessionStorage.getItem("cd-token") || "";
sessionStorage.setItem("cd-token", token);
const FAMILIES = ["lognormal", "normal", "uniform", "loguniform", "beta", "gamma"];

const state = {
  doc: null, text: "", base: "", scenario: "base", output: "", observed: false,
  run: null, view: null, full: null, errors: [], fullDraws: 100000,
  preview: null, follow: null, drivers: null, timer: 0,
};

async function api(path, body, { method = "POST", signal } = {}) {
  const init = { method, signal, headers: { "X-Chipdemand-Token": token } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.blob();
  return { status: response.status, data };
}

function setStatus(kind, label) {
  const s = $("status");
  s.dataset.state = kind;
  s.textContent = label;
}

function notice(message) {
  const n = $("notice");
  n.hidden = !message;
  n.textContent = message || "";
}

// ------------------------------------------------------------------ editor
function updateGutter() {
  const lines = state.text.split("\n").length;
  const bad = new Set(state.errors.map((e) => e.line).filter(Boolean));
  const out = [];
  for (let i = 1; i <= lines; i++) out.push(bad.has(i) ? `<span class="bad">${i}</span>` : String(i));
  $("gutter").innerHTML = out.join("\n");
  $("gutter").scrollTop = $("editor").scrollTop;
}

function setText(text, { run = true } = {}) {
  state.text = text;
  $("editor").value = text;
  updateGutter();
  if (run) schedule(0);
}

function goToLine(line) {
  showTab("text");
  const ed = $("editor");
  const lines = state.text.split("\n");
  const start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
  ed.focus();
  ed.setSelectionRange(start, start + (lines[line - 1] || "").length);
  ed.scrollTop = Math.max(0, (line - 6) * 18);
}

function showTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  $("tab-inputs").hidden = name !== "inputs";
  $("tab-text").hidden = name !== "text";
}

function showErrors(errors) {
  state.errors = errors || [];
  const list = $("errors");
  list.replaceChildren();
  list.hidden = !state.errors.length;
  for (const e of state.errors) {
    const li = document.createElement("li");
    li.innerHTML = `<span class="key"></span><span class="line"></span><div class="msg"></div>`;
    li.querySelector(".key").textContent = e.key || "(the file)";
    li.querySelector(".line").textContent = e.line ? `line ${e.line}` : "";
    li.querySelector(".msg").textContent = e.message;
    li.dataset.key = e.key || "";
    if (e.line) li.addEventListener("click", () => goToLine(e.line));
    list.appendChild(li);
  }
  for (const tr of document.querySelectorAll("tr[data-input]")) {
    tr.classList.toggle("has-error", state.errors.some((e) => (e.key || "").startsWith(`inputs.${tr.dataset.input}`)));
  }
  $("results").classList.toggle("results-stale", state.errors.length > 0);
  $("stale").hidden = !state.errors.length;
  updateGutter();
}

// ------------------------------------------------------------------ runs
function schedule(delay = 220) {
  clearTimeout(state.timer);
  state.timer = setTimeout(runPreview, delay);
}

async function runPreview() {
  for (const c of [state.preview, state.follow, state.drivers]) if (c) c.abort();
  const controller = (state.preview = new AbortController());
  setStatus("running", "running…");
  const body = { toml: state.text, draws: state.doc.preview_draws, scenarios: [state.scenario],
    scenario: state.scenario, seed: 0, observed: state.observed };
  let answer;
  try {
    answer = await api("/api/preview", body, { signal: controller.signal });
  } catch (err) {
    if (err.name !== "AbortError") setStatus("error", "the server did not answer");
    return;
  }
  if (controller !== state.preview) return;
  if (answer.status === 422) {
    showErrors(answer.data.errors);
    setStatus("error", `${answer.data.errors.length} problem${answer.data.errors.length > 1 ? "s" : ""}`);
    return;
  }
  if (answer.status !== 200) { setStatus("error", answer.data.error || `error ${answer.status}`); return; }
  if (answer.data.superseded) return;
  showErrors([]);
  state.run = answer.data.run;
  state.view = answer.data.view;
  render();
  setStatus("preview", `preview · ${fmt(state.run.draws)} draws`);
  runFull(body);
}

async function runFull(previewBody) {
  const controller = (state.follow = new AbortController());
  const body = { ...previewBody, draws: state.fullDraws, scenarios: null };
  let answer;
  try {
    answer = await api("/api/preview", body, { signal: controller.signal });
  } catch (err) {
    return;
  }
  if (controller !== state.follow || answer.status !== 200 || answer.data.superseded) return;
  state.full = answer.data.run;
  state.run = answer.data.run;
  state.view = answer.data.view;
  render();
  setStatus("full", `${fmt(state.run.draws)} draws · every scenario`);
}

// ------------------------------------------------------------------ rendering
function rowsOf(run, output, scenario) {
  return run.results.filter((r) => r.variable === output && (scenario == null || r.scenario === scenario));
}

function lastYear(rows) {
  const years = rows.map((r) => r.year).filter((y) => y != null);
  if (!years.length) return rows;
  const last = Math.max(...years);
  return rows.filter((r) => r.year === last);
}

function refsOf(run, output, scenario, year) {
  return (run.references || [])
    .filter((r) => r.output === output && (!r.scenario || r.scenario === scenario) && (year == null || r.year == null || r.year === year))
    .map((r) => ({ value: r.ref_value, low: r.ref_low, high: r.ref_high, bound: r.bound,
      label: `${r.source || ""}${r.date ? ` (${r.date})` : ""}: ${fmt(r.ref_value ?? r.ref_low)}${r.ref_high != null ? `–${fmt(r.ref_high)}` : ""}` }));
}

function fillSelect(select, values, chosen, labels = {}) {
  const now = [...select.options].map((o) => o.value).join("|");
  if (now !== values.join("|")) {
    select.replaceChildren(...values.map((v) => new Option(labels[v] || v, v)));
  }
  select.value = chosen;
}

function render() {
  const { run, view } = state;
  if (!run || !view) return;
  const outputs = Object.keys(view.outputs);
  if (!outputs.includes(state.output)) state.output = outputs.includes(view.headline) ? view.headline : outputs[0];
  fillSelect($("scenario"), view.scenarios, state.scenario);
  fillSelect($("output"), outputs, state.output);
  fillSelect($("cmp-a"), view.scenarios, $("cmp-a").value || view.scenarios[0]);
  fillSelect($("cmp-b"), view.scenarios, $("cmp-b").value || view.scenarios[Math.min(1, view.scenarios.length - 1)]);
  $("observed-box").hidden = !view.observations.length;
  renderHeadline();
  renderOutputTable();
  renderInputs();
  renderForest();
  renderFan();
  requestDrivers();
}

function renderHeadline() {
  const { run, view, output, scenario } = state;
  const out = view.outputs[output];
  const row = lastYear(rowsOf(run, output, scenario))[0];
  const h = $("headline");
  if (!row || !out) { h.textContent = "no draws for this output"; return; }
  const post = row.posterior_median != null;
  const median = post && state.observed ? row.posterior_median : row.median;
  const low = post && state.observed ? row.posterior_low : row.low;
  const high = post && state.observed ? row.posterior_high : row.high;
  const ci = Math.round((run.ci || 0.9) * 100);
  h.innerHTML = `<div><div class="name"></div><div class="big" id="headline-median"></div></div>
    <div class="stat"><b></b><span>${ci}% interval</span></div>
    <div class="stat"><b></b><span>MCSE of the median</span></div>
    <div class="stat"><b></b><span>unit</span></div><div class="desc"></div>`;
  h.querySelector(".name").textContent = `${output} · ${scenario}${out.year ? ` · ${out.year}` : ""}${post && state.observed ? " · posterior" : ""}`;
  const big = h.querySelector(".big");
  // an event (a 0/1 output): its probability, the mean of its draws, as the terminal prints it
  big.textContent = out.event ? `P = ${row.mean.toFixed(3)}` : fmt(median, 4);
  big.dataset.value = String(median);
  const stats = h.querySelectorAll(".stat b");
  stats[0].textContent = out.event ? "–" : `${fmt(low)} – ${fmt(high)}`;
  // a quantile on a tie of a discrete output has no order-statistic error (mcse_ties): say so
  stats[1].textContent = (row.mcse_ties || []).includes("median") ? "tie" : `± ${fmt(row.mcse_median, 2)}`;
  stats[2].textContent = row.unit || "1";
  h.querySelector(".desc").textContent = out.description || "";
  const refs = refsOf(run, output, scenario, out.year);
  const showPost = state.observed && out.posterior;
  density($("density"), { hist: out.hist, posterior: showPost ? out.posterior : null, median, low, high, refs, unit: row.unit });
  exceedance($("exceedance"), { ex: out.exceedance, posterior: showPost ? out.posterior_exceedance : null,
    log: out.hist && out.hist.log, unit: row.unit, refs });
  $("legend").innerHTML = `<span><i style="background:rgba(47,111,223,.3)"></i>${showPost ? "prior" : "draws"}</span>`
    + (showPost ? `<span><i style="background:#d9480f"></i>posterior</span>` : "")
    + `<span><i style="background:rgba(47,111,223,.12)"></i>${ci}% interval</span>`
    + (refs.length ? `<span><i style="background:#b42318"></i>references (${refs.length}; hover for sources)</span>` : "");
}

function renderOutputTable() {
  const { run, scenario } = state;
  const body = $("output-rows");
  body.replaceChildren();
  $("table-scenario").textContent = `(${scenario})`;
  const rows = lastYear(run.results.filter((r) => r.scenario === scenario && Object.keys(state.view.outputs).includes(r.variable)));
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.className = r.variable === state.output ? "selected" : "";
    tr.innerHTML = `<td></td><td class="num"></td><td class="num"></td><td class="num"></td><td></td>`;
    const cells = tr.querySelectorAll("td");
    cells[0].textContent = r.variable + (r.year != null ? ` (${r.year})` : "");
    const event = state.view.outputs[r.variable]?.event;
    cells[1].textContent = event ? `P = ${r.mean.toFixed(3)}` : fmt(r.median);
    cells[2].textContent = event ? "–" : `${fmt(r.low)} – ${fmt(r.high)}`;
    cells[3].textContent = (r.mcse_ties || []).includes("median") ? "tie" : fmt(r.mcse_median, 2);
    cells[4].textContent = r.unit || "";
    tr.addEventListener("click", () => { state.output = r.variable; render(); });
    body.appendChild(tr);
  }
}

function linkify(cell, source) {
  const parts = String(source || "").split(/(https?:\/\/[^\s,;)]+)/g);
  for (const part of parts) {
    if (/^https?:\/\//.test(part)) {
      const a = document.createElement("a");
      a.href = part; a.target = "_blank"; a.rel = "noopener noreferrer"; a.textContent = part.replace(/^https?:\/\//, "");
      cell.appendChild(a);
    } else cell.appendChild(document.createTextNode(part));
  }
}

function renderInputs() {
  const body = $("input-rows");
  const open = body.querySelector(".edit-form")?.closest("tr")?.dataset.input;
  body.replaceChildren();
  for (const row of state.view.inputs) {
    const tr = document.createElement("tr");
    tr.dataset.input = row.name;
    tr.innerHTML = `<td class="name"><span></span><span class="unit"></span></td><td class="dist"><span class="dist-words" title="edit"></span></td><td class="spark-cell"></td><td class="source"></td>`;
    tr.querySelector(".name span").textContent = row.name;
    tr.querySelector(".unit").textContent = row.unit;
    const words = tr.querySelector(".dist-words");
    words.textContent = row.words;
    words.addEventListener("click", () => editForm(tr, row));
    spark(tr.querySelector(".spark-cell"), row.density);
    const src = tr.querySelector(".source");
    const short = row.source.length > 120 ? `${row.source.slice(0, 120)}…` : row.source;
    linkify(src, short);
    if (short !== row.source) {
      const more = document.createElement("span");
      more.className = "more"; more.textContent = " more";
      more.addEventListener("click", () => { src.replaceChildren(); linkify(src, row.source); });
      src.appendChild(more);
    }
    body.appendChild(tr);
    if (row.name === open) editForm(tr, row);
  }
  showErrors(state.errors);
}

function editForm(tr, row) {
  const cell = tr.querySelector(".dist");
  if (cell.querySelector(".edit-form")) return;
  const form = document.createElement("form");
  form.className = "edit-form";
  const families = FAMILIES.includes(row.family) ? FAMILIES : [row.family, ...FAMILIES];
  form.innerHTML = `<label>family</label><select name="dist">${families.map((f) => `<option>${f}</option>`).join("")}</select>
    <label>90% low</label><input name="low" inputmode="decimal"><label>90% high</label><input name="high" inputmode="decimal">
    <label>point</label><input name="point" inputmode="decimal">
    <div class="buttons"><button type="submit">Apply</button><button type="button" class="cancel">Cancel</button></div>`;
  form.dist.value = row.family;
  if (row.ci) { form.low.value = row.ci[0]; form.high.value = row.ci[1]; }
  if (row.point != null) form.point.value = row.point;
  form.querySelector(".cancel").addEventListener("click", () => form.remove());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { toml: state.text, input: row.name, dist: form.dist.value };
    if (form.low.value !== "" && form.high.value !== "") body.ci = [Number(form.low.value), Number(form.high.value)];
    if (form.point.value !== "") body.point = Number(form.point.value);
    const answer = await api("/api/edit-input", body);
    if (answer.status === 200) { form.remove(); setText(answer.data.toml); }
    else if (answer.status === 422) showErrors(answer.data.errors);
    else notice(answer.data.error || `error ${answer.status}`);
  });
  cell.appendChild(form);
}

function renderForest() {
  const run = state.full || state.run;
  const rows = lastYear(rowsOf(run, state.output, null)).map((r) => ({ label: r.scenario, median: r.median, low: r.low, high: r.high }));
  forest($("forest"), rows, { unit: rows.length ? rowsOf(run, state.output, null)[0].unit : "", selected: state.scenario });
}

function renderFan() {
  const rows = rowsOf(state.run, state.output, state.scenario).filter((r) => r.year != null)
    .sort((a, b) => a.year - b.year);
  $("fan-card").hidden = rows.length < 2;
  if (rows.length >= 2) fan($("fan"), rows, { unit: rows[0].unit });
}

async function requestDrivers() {
  if (state.drivers) state.drivers.abort();
  const controller = (state.drivers = new AbortController());
  const body = { toml: state.text, output: state.output, scenario: state.scenario, draws: state.doc.preview_draws };
  try {
    const answer = await api("/api/drivers", body, { signal: controller.signal });
    if (controller !== state.drivers) return;
    if (answer.status !== 200) { $("drivers").textContent = answer.data.error || ""; return; }
    const rows = answer.data.ranking.slice(0, 10).map((r) => ({ label: r.input, value: r.index }));
    bars($("drivers"), rows, { label: `${answer.data.method} index on ${answer.data.output}` });
  } catch (err) { /* aborted by a newer request */ }
}

async function runCompare() {
  const a = $("cmp-a").value, b = $("cmp-b").value;
  const answer = await api("/api/compare", { toml: state.text, a, b, draws: state.doc.preview_draws });
  const box = $("compare");
  if (answer.status !== 200) { box.textContent = answer.data.error || ""; return; }
  const rows = lastYear(answer.data.results.filter((r) => r.variable === state.output)).concat(
    lastYear(answer.data.results.filter((r) => r.variable !== state.output)));
  const table = document.createElement("table");
  table.className = "outputs";
  table.innerHTML = `<thead><tr><th>output</th><th>ratio ${b} / ${a}</th><th>interval</th><th>P(b &gt; a)</th><th>P(b = a)</th></tr></thead>`;
  const tbody = document.createElement("tbody");
  for (const r of rows) {
    const tr = document.createElement("tr");
    if (r.variable === state.output) tr.className = "selected";
    for (const v of [r.variable, fmt(r.ratio_median), `${fmt(r.ratio_low)} – ${fmt(r.ratio_high)}`,
      `${(100 * r.p_b_greater).toFixed(1)}%`, `${(100 * (r.p_b_equal || 0)).toFixed(1)}%`]) {
      const td = document.createElement("td"); td.textContent = v; td.className = "num"; tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  table.appendChild(tbody);
  box.replaceChildren(table);
}

// ------------------------------------------------------------------ saving, exports
async function save(base = state.base) {
  const answer = await api("/api/study", { toml: state.text, base_sha256: base }, { method: "PUT" });
  if (answer.status === 200) {
    state.base = answer.data.sha256;
    notice(`saved ${answer.data.path}`);
  } else if (answer.status === 409) {
    $("conflict-mine").textContent = state.text;
    $("conflict-disk").textContent = answer.data.disk.toml;
    state.disk = answer.data.disk;
    $("conflict").showModal();
  } else notice(answer.data.error || `error ${answer.status}`);
}

async function saveAs() {
  const name = prompt(`Save as a new file in ${state.doc.folder}:`, `${state.doc.name || "study"}_edited.toml`);
  if (!name) return;
  let answer = await api("/api/save-as", { toml: state.text, name });
  if (answer.status === 409 && confirm(`${name} exists. Overwrite it?`)) {
    answer = await api("/api/save-as", { toml: state.text, name, overwrite: true });
  }
  if (answer.status === 200) {
    state.base = answer.data.sha256;
    state.doc = (await api("/api/study", undefined, { method: "GET" })).data;
    header();
    notice(`saved ${answer.data.path}: Save now writes this file`);
  } else notice(answer.data.error || `error ${answer.status}`);
}

async function exportAs(kind) {
  setStatus("running", `exporting ${kind}…`);
  const answer = await api(`/api/export/${kind}`, { toml: state.text, draws: state.doc.preview_draws });
  setStatus("full", "exported");
  if (answer.status !== 200) { notice(answer.data.error || `error ${answer.status}`); return; }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(answer.data);
  a.download = `${state.doc.name}.${{ report: "html", csv: "csv", draws: "nc" }[kind]}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}

// ------------------------------------------------------------------ start
function header() {
  const d = state.doc;
  $("study-name").innerHTML = `<span></span><span class="path"></span>`;
  $("study-name").firstChild.textContent = d.name;
  $("study-name").lastChild.textContent = d.path || (d.shipped ? "shipped · read-only" : "not saved yet");
  $("save").disabled = d.read_only || !d.path;
  if (d.read_only) notice(`${d.name} is shipped with chipdemand and opened read-only: Save as writes a copy into ${d.folder}.`);
  const select = $("draws");
  const options = [20000, 100000, 1000000].filter((n) => n <= d.max_draws);
  if (!options.includes(d.full_draws)) options.push(d.full_draws);
  select.replaceChildren(...options.sort((a, b) => a - b).map((n) => new Option(fmt(n), String(n))));
  state.fullDraws = d.full_draws;
  select.value = String(d.full_draws);
}

async function landing() {
  $("landing").hidden = false;
  $("landing-folder").textContent = state.doc.folder;
  const { data } = await api("/api/studies", undefined, { method: "GET" });
  const body = $("study-list");
  for (const s of data.studies) {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td></td><td></td><td><button>Open</button></td>`;
    tr.cells[0].textContent = s.name;
    tr.cells[1].textContent = s.title;
    tr.querySelector("button").addEventListener("click", () => openStudy({ study: s.name }));
    body.appendChild(tr);
  }
  $("new-form").addEventListener("submit", (e) => { e.preventDefault(); openStudy({ new: $("new-name").value }); });
}

async function openStudy(body) {
  const answer = await api("/api/open", body);
  if (answer.status !== 200) { notice(answer.data.errors ? answer.data.errors[0].message : answer.data.error); return; }
  $("landing").hidden = true;
  start(answer.data);
}

function start(doc) {
  state.doc = doc;
  state.base = doc.sha256;
  $("workspace").hidden = false;
  header();
  setText(doc.toml);
}

function wire() {
  const ed = $("editor");
  ed.addEventListener("input", () => { state.text = ed.value; updateGutter(); schedule(); });
  ed.addEventListener("scroll", () => { $("gutter").scrollTop = ed.scrollTop; });
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("scenario").addEventListener("change", (e) => { state.scenario = e.target.value; schedule(0); });
  $("output").addEventListener("change", (e) => { state.output = e.target.value; render(); });
  $("observed").addEventListener("change", (e) => { state.observed = e.target.checked; schedule(0); });
  $("draws").addEventListener("change", (e) => { state.fullDraws = Number(e.target.value); schedule(0); });
  $("cmp-go").addEventListener("click", runCompare);
  $("save").addEventListener("click", () => save());
  $("save-as").addEventListener("click", saveAs);
  for (const b of document.querySelectorAll("[data-export]")) b.addEventListener("click", () => exportAs(b.dataset.export));
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); if (!$("save").disabled) save(); }
  });
  $("conflict-overwrite").addEventListener("click", () => { $("conflict").close(); save(state.disk.sha256); });
  $("conflict-take").addEventListener("click", () => {
    $("conflict").close(); state.base = state.disk.sha256; setText(state.disk.toml);
  });
  $("conflict-cancel").addEventListener("click", () => $("conflict").close());
}

async function main() {
  wire();
  const answer = await api("/api/study", undefined, { method: "GET" });
  if (answer.status !== 200) { notice(answer.data.error || "this page needs the URL printed by chipdemand serve"); return; }
  state.doc = answer.data;
  if (!answer.data.open) landing();
  else start(answer.data);
}

main();
