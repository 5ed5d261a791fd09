// Small SVG plots for the chipdemand page: density, exceedance, forest, bars, fan, sparkline.
// No dependencies; every function takes a container element and plain arrays.

const NS = "http://www.w3.org/2000/svg";

export function fmt(v, digits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (Number.isInteger(v) && a < 1e4) return String(v); // whole numbers as written: 2028, 512
  const units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
  if (a >= 1e15 || a < 1e-3) return v.toExponential(digits - 1).replace("e+", "e");
  for (const [size, suffix] of units) {
    if (a >= size) return `${+(v / size).toPrecision(digits)}${suffix}`;
  }
  return `${+v.toPrecision(digits)}`;
}

function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function text(parent, x, y, label, attrs = {}) {
  const t = el("text", { x, y, ...attrs }, parent);
  t.textContent = label;
  return t;
}

function svg(container, width, height) {
  container.replaceChildren();
  const s = el("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img" }, container);
  s.style.maxHeight = `${height * 1.6}px`;
  return s;
}

// A scale: value -> pixel, linear or log10, with ticks.
export function scale(lo, hi, a, b, log = false) {
  const f = log ? Math.log10 : (x) => x;
  const l = f(lo), h = f(hi);
  const span = h - l || 1;
  const map = (x) => a + ((f(x) - l) / span) * (b - a);
  map.ticks = (n = 5) => (log ? logTicks(lo, hi) : niceTicks(lo, hi, n));
  map.inside = (x) => Number.isFinite(x) && x >= lo && x <= hi && (!log || x > 0);
  return map;
}

function niceTicks(lo, hi, n) {
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function logTicks(lo, hi) {
  const out = [];
  for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) out.push(10 ** e);
  if (out.length < 2) return niceTicks(lo, hi, 4);
  return out;
}

function xAxis(s, x, y0, left, right, unit) {
  el("line", { x1: left, x2: right, y1: y0, y2: y0, class: "axis" }, s);
  for (const t of x.ticks()) {
    const px = x(t);
    el("line", { x1: px, x2: px, y1: y0, y2: y0 + 4, class: "axis" }, s);
    text(s, px, y0 + 16, fmt(t), { class: "tick", "text-anchor": "middle" });
  }
  if (unit) text(s, right, y0 + 30, unit, { class: "unit", "text-anchor": "end" });
}

function refMarks(s, x, refs, top, bottom) {
  for (const r of refs || []) {
    const label = r.label || "";
    if (r.low != null && r.high != null && x.inside(r.low) && x.inside(r.high)) {
      el("rect", { x: x(r.low), y: top, width: Math.max(1, x(r.high) - x(r.low)), height: bottom - top,
        class: "ref-band" }, s).appendChild(title(label));
    } else if (r.bound != null && x.inside(r.value)) {
      el("line", { x1: x(r.value), x2: x(r.value), y1: top, y2: bottom, class: "ref-bound" }, s)
        .appendChild(title(label));
    } else if (r.value != null && x.inside(r.value)) {
      const px = x(r.value);
      el("line", { x1: px, x2: px, y1: top + 8, y2: bottom, class: "ref-line" }, s);
      el("path", { d: `M${px - 5},${top} L${px + 5},${top} L${px},${top + 8} Z`, class: "ref-mark" }, s)
        .appendChild(title(label));
    }
  }
}

function title(label) {
  const t = document.createElementNS(NS, "title");
  t.textContent = label;
  return t;
}

function area(hist, x, y, close = true) {
  const e = hist.edges, d = hist.density;
  let path = `M${x(e[0])},${y(0)}`;
  for (let i = 0; i < d.length; i++) path += ` L${x(e[i])},${y(d[i] || 0)} L${x(e[i + 1])},${y(d[i] || 0)}`;
  return close ? `${path} L${x(e[e.length - 1])},${y(0)} Z` : path;
}

// Density (histogram) with the interval shaded, the median marked and references on the axis.
export function density(container, { hist, posterior, median, low, high, refs, unit }) {
  const W = 420, H = 200, L = 10, R = W - 10, T = 22, B = H - 36;
  const s = svg(container, W, H);
  if (!hist) { text(s, W / 2, H / 2, "a constant: no spread to draw", { class: "empty", "text-anchor": "middle" }); return; }
  const e = hist.edges;
  const x = scale(e[0], e[e.length - 1], L, R, hist.log);
  const top = Math.max(...hist.density, ...(posterior ? posterior.density : [0])) || 1;
  const y = (v) => B - (v / top) * (B - T);
  if (low != null && high != null) {
    const a = Math.max(L, x(Math.max(low, e[0]))), b = Math.min(R, x(Math.min(high, e[e.length - 1])));
    el("rect", { x: a, y: T, width: Math.max(0, b - a), height: B - T, class: "interval" }, s);
  }
  el("path", { d: area(hist, x, y), class: posterior ? "prior-area" : "area" }, s);
  if (posterior) el("path", { d: area(posterior, x, y), class: "posterior-area" }, s);
  if (median != null && x.inside(median)) {
    el("line", { x1: x(median), x2: x(median), y1: T - 4, y2: B, class: "median" }, s);
    text(s, x(median) + 4, T + 6, `median ${fmt(median)}`, { class: "label" });
  }
  refMarks(s, x, refs, T - 14, B);
  xAxis(s, x, B, L, R, `${unit || ""}${hist.log ? " (log axis)" : ""}`);
}

// Exceedance: P(X > x) against x.
export function exceedance(container, { ex, posterior, log, unit, refs }) {
  const W = 420, H = 200, L = 40, R = W - 10, T = 12, B = H - 36;
  const s = svg(container, W, H);
  if (!ex) return;
  const xs = ex.x.filter((v) => v != null);
  const lo = Math.min(...xs), hi = Math.max(...xs);
  if (!(hi > lo)) { text(s, W / 2, H / 2, "a constant", { class: "empty", "text-anchor": "middle" }); return; }
  const x = scale(lo, hi, L, R, log && lo > 0);
  const y = (p) => B - p * (B - T);
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    el("line", { x1: L, x2: R, y1: y(p), y2: y(p), class: "gridline" }, s);
    text(s, L - 6, y(p) + 4, `${p * 100}%`, { class: "tick", "text-anchor": "end" });
  }
  const line = (d) => d.x.map((v, i) => `${i ? "L" : "M"}${x(v)},${y(d.p[i])}`).join(" ");
  el("path", { d: line(ex), class: posterior ? "prior-line" : "curve" }, s);
  if (posterior) el("path", { d: line(posterior), class: "posterior-line" }, s);
  refMarks(s, x, refs, T, B);
  xAxis(s, x, B, L, R, `P(${unit ? "X" : "value"} > x)  ·  ${unit || ""}`);
}

// Room for the longest row label at 12px (about 7px a character), within [90, 220] px.
function labelRoom(rows) {
  const longest = Math.max(0, ...rows.map((r) => String(r.label).length));
  return Math.min(220, Math.max(90, 16 + 7 * longest));
}

// Forest plot: one row per label, median dot and interval bar.
export function forest(container, rows, { unit, selected } = {}) {
  const rowH = 20, L = labelRoom(rows), W = L + 270, R = W - 12, T = 6;
  const H = T + rows.length * rowH + 34;
  const s = svg(container, W, H);
  const vals = rows.flatMap((r) => [r.low, r.high, r.median]).filter(Number.isFinite);
  if (!vals.length) return;
  let lo = Math.min(...vals), hi = Math.max(...vals);
  const log = lo > 0 && hi / lo > 100;
  if (!(hi > lo)) { lo = lo * 0.9 - 1e-9; hi = hi * 1.1 + 1e-9; }
  const x = scale(lo, hi, L, R, log);
  rows.forEach((r, i) => {
    const cy = T + i * rowH + rowH / 2;
    const cls = r.label === selected ? "row-label selected" : "row-label";
    text(s, L - 10, cy + 4, r.label, { class: cls, "text-anchor": "end" });
    if (Number.isFinite(r.low) && Number.isFinite(r.high)) {
      el("line", { x1: x(r.low), x2: x(r.high), y1: cy, y2: cy, class: "ci-bar" }, s);
    }
    if (Number.isFinite(r.median)) {
      el("circle", { cx: x(r.median), cy, r: 4, class: r.label === selected ? "dot selected" : "dot" }, s)
        .appendChild(title(`${r.label}: ${fmt(r.median)} [${fmt(r.low)}, ${fmt(r.high)}]`));
    }
  });
  xAxis(s, x, T + rows.length * rowH + 4, L, R, unit);
}

// Horizontal bars from zero (drivers).
export function bars(container, rows, { label = "" } = {}) {
  const rowH = 19, L = labelRoom(rows), W = L + 270, R = W - 40, T = 6;
  const s = svg(container, W, T + rows.length * rowH + 28);
  const top = Math.max(...rows.map((r) => Math.abs(r.value)), 1e-12);
  const x = (v) => L + (Math.abs(v) / top) * (R - L);
  rows.forEach((r, i) => {
    const cy = T + i * rowH + rowH / 2;
    text(s, L - 10, cy + 4, r.label, { class: "row-label", "text-anchor": "end" });
    el("rect", { x: L, y: cy - 7, width: Math.max(1, x(r.value) - L), height: 14,
      class: r.value < 0 ? "bar negative" : "bar" }, s);
    text(s, x(r.value) + 5, cy + 4, r.value.toFixed(2), { class: "tick" });
  });
  text(s, R, T + rows.length * rowH + 20, label, { class: "unit", "text-anchor": "end" });
}

// Fan chart over years: the interval as a band, the median as a line.
export function fan(container, rows, { unit } = {}) {
  const W = 760, H = 220, L = 54, R = W - 14, T = 12, B = H - 40;
  const s = svg(container, W, H);
  if (rows.length < 2) return;
  const years = rows.map((r) => r.year);
  const vals = rows.flatMap((r) => [r.low, r.high]).filter(Number.isFinite);
  let lo = Math.min(...vals), hi = Math.max(...vals);
  const log = lo > 0 && hi / lo > 100;
  if (!log) lo = Math.min(0, lo);
  if (!(hi > lo)) hi = lo + 1;
  const x = scale(years[0], years[years.length - 1], L, R);
  const y = scale(lo, hi, B, T, log);
  for (const t of y.ticks(4)) {
    el("line", { x1: L, x2: R, y1: y(t), y2: y(t), class: "gridline" }, s);
    text(s, L - 6, y(t) + 4, fmt(t), { class: "tick", "text-anchor": "end" });
  }
  const up = rows.map((r, i) => `${i ? "L" : "M"}${x(r.year)},${y(r.high)}`).join(" ");
  const down = rows.slice().reverse().map((r) => `L${x(r.year)},${y(r.low)}`).join(" ");
  el("path", { d: `${up} ${down} Z`, class: "fan" }, s);
  el("path", { d: rows.map((r, i) => `${i ? "L" : "M"}${x(r.year)},${y(r.median)}`).join(" "), class: "curve" }, s);
  for (const r of rows) {
    el("circle", { cx: x(r.year), cy: y(r.median), r: 3, class: "dot" }, s)
      .appendChild(title(`${r.year}: ${fmt(r.median)} [${fmt(r.low)}, ${fmt(r.high)}]`));
    text(s, x(r.year), B + 16, String(r.year), { class: "tick", "text-anchor": "middle" });
  }
  el("line", { x1: L, x2: R, y1: B, y2: B, class: "axis" }, s);
  text(s, R, B + 30, unit || "", { class: "unit", "text-anchor": "end" });
}

// A tiny density for an input's row.
export function spark(container, hist) {
  const W = 96, H = 26;
  const s = svg(container, W, H);
  s.style.maxHeight = `${H}px`;
  if (!hist) { el("line", { x1: W / 2, x2: W / 2, y1: 2, y2: H, class: "spark-point" }, s); return; }
  const e = hist.edges;
  const x = scale(e[0], e[e.length - 1], 1, W - 1, hist.log);
  const top = Math.max(...hist.density) || 1;
  const y = (v) => H - 1 - (v / top) * (H - 3);
  el("path", { d: area(hist, x, y), class: "spark" }, s);
}
