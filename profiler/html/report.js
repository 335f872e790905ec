/* rooftop HTML report: renders the embedded JSON report (schema rooftop.profile/1,
 * rooftop.compare/1, rooftop.diff/1 or rooftop.compare_models/1) into a summary, a log-log roofline chart, a by-op table and a sortable,
 * filterable, paged layer table. Vanilla JS, no network. Embedded into the report at build
 * time (profiler/html/embed.cmake); must never contain a closing script tag.
 *
 * Contract with tests (tests/html/check_html.py): when rendering is done, <body> carries
 * data-state="ready", data-layers (layers in the report), data-points (chart circles),
 * data-rows (rows in the table's data model after filters), data-page-size (rows per table
 * page), data-body-rows (rows of the control-flow bodies table, one per body layer),
 * data-errors (errors caught by window.onerror or console.error) and data-render-ms. Every rendered point is a
 * <circle class="layer-point" data-index=N>; every table row a <tr data-index=N>. */
(function () {
  "use strict";
  var errors = [];
  function noteError(msg) {
    errors.push(String(msg));
    var box = document.getElementById("roof-errors");
    if (box) box.textContent = errors.join("\n");
    if (document.body) document.body.dataset.errors = String(errors.length);
  }
  window.addEventListener("error", function (e) { noteError("error: " + (e.message || e.type)); });
  window.addEventListener("unhandledrejection", function (e) { noteError("rejection: " + e.reason); });
  var consoleError = console.error.bind(console);
  console.error = function () {
    noteError("console.error: " + Array.prototype.join.call(arguments, " "));
    consoleError.apply(null, arguments);
  };

  var PAGE = 100; /* rows per table page: layout cost grows with rendered rows, not with layers */
  var SVGNS = "http://www.w3.org/2000/svg";
  var LEVELS = ["l1", "l2", "l3", "dram"];

  /* ---- small DOM and number helpers ---- */
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    append(e, kids);
    return e;
  }
  function svg(tag, attrs, kids) {
    var e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    append(e, kids);
    return e;
  }
  function setAttrs(e, attrs) {
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.setAttribute("class", attrs[k]);
      else if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    }
  }
  function append(e, kids) {
    if (kids === undefined || kids === null) return;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k === null || k === undefined) return;
      e.appendChild(typeof k === "object" ? k : document.createTextNode(String(k)));
    });
  }
  function num(v) { return typeof v === "number" && isFinite(v) ? v : null; }
  function prec(v, d) { v = num(v); return v === null ? "\u2013" : v.toPrecision(d); }
  function fix(v, d) { v = num(v); return v === null ? "\u2013" : v.toFixed(d); }
  function pct(v, d) { v = num(v); return v === null ? "\u2013" : (100 * v).toFixed(d === undefined ? 1 : d) + "%"; }
  function mib(v) { v = num(v); return v === null ? "\u2013" : (v / 1048576).toFixed(2) + " MiB"; }
  function big(v) {
    v = num(v);
    if (v === null) return "\u2013";
    var units = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < units.length; i++) if (Math.abs(v) >= units[i][0]) return (v / units[i][0]).toFixed(3) + " " + units[i][1];
    return String(v);
  }
  function shapeStr(ts) {
    return (ts || []).map(function (t) { return (t.shape || []).join("x") || "scalar"; }).join(", ");
  }
  /* s cut in the middle to n characters: layer names differ at both ends. */
  function midCut(s, n) {
    var a = Array.from(String(s));
    if (a.length <= n) return String(s);
    var head = Math.ceil((n - 1) / 2);
    return a.slice(0, head).join("") + "\u2026" + a.slice(a.length - (n - 1 - head)).join("");
  }
  function median(l) { return l.time_ms ? num(l.time_ms.median) : null; }
  function boundOf(l) { return l.bound || "unknown"; }
  /* The roof a layer is judged against: the compute peak, or the memory level that takes most
   * of its memory time (roofline_level). */
  function judgeOf(l) { var b = boundOf(l); return b === "memory" ? (l.roofline_level || "dram") : b; }
  var JUDGE_LABELS = {compute: "compute roof", l1: "L1 roof", l2: "L2 roof", l3: "L3 roof", dram: "DRAM roof", unknown: "no FLOP model"};

  /* ---- summary ---- */
  /* "run: noisy (reason; reason)" from run.noise; null for reports without one. */
  function verdictText(r) {
    var n = r && r.noise;
    if (!n) return null;
    return "run: " + n.verdict + ((n.reasons || []).length ? " (" + n.reasons.join("; ") + ")" : "");
  }
  function untilStableText(u, runs) {
    if (u.settled) return "settled after " + runs + " runs (" + u.batches + " batches)";
    var what = u.moved_layer === null || u.moved_layer === undefined ? "latency median" : "layer #" + u.moved_layer;
    return "not settled after " + runs + " runs (" + u.batches + " batches)" +
      (num(u.largest_move) !== null ? ": " + what + " moved " + pct(u.largest_move) : "");
  }

  function kv(k, v) { return el("div", {cls: "kv"}, [el("span", {cls: "k", text: k}), el("span", {cls: "v", text: v})]); }

  /* Reasons to doubt this profile's figures: oversubscribed threads, a suspect probe. */
  function warnings(p) {
    var r = p.run || {}, hw = p.hardware || {}, out = [];
    if (r.oversubscribed) out.push(r.threads + " threads on " + r.allowed_cpus + " allowed CPUs: threads take turns, times are inflated");
    if (hw.problem) out.push("the probe contradicts itself (" + hw.problem + "): used for this run, not cached");
    if (hw.above_peak) out.push("layer " + hw.above_peak.index + " \u2018" + hw.above_peak.name + "\u2019 ran at " +
      fix(hw.above_peak.achieved_gflops, 1) + " GFLOP/s, above the probed peak: the probe is suspect");
    return out;
  }

  function summary(p) {
    var m = p.model || {}, r = p.run || {}, hw = p.hardware, lat = r.latency_ms || {};
    var items = [
      kv("model", (m.path || "?") + " (opset " + m.opset + ")"),
      kv("nodes", m.nodes_original + " original, " + m.nodes_executed + " executed (fusion " + (r.fusion || "?") + ")"),
      kv("threads / CPUs", r.threads + (r.threads === 1 ? " thread" : " threads") + ", CPUs " + (r.cpu_affinity || "?") +
        (r.allowed_cpus ? " (" + r.allowed_cpus + " allowed)" : "")),
      kv("latency (plain runs)", fix(lat.median, 3) + " ms median; min " + fix(lat.min, 3) + ", p90 " + fix(lat.p90, 3) +
        ", max " + fix(lat.max, 3) + ", sd " + fix(lat.stddev, 3) + " over " + r.runs + " runs, " + r.warmup + " warm-up"),
      kv("work", big(m.flops) + "FLOP (" + big(m.macs) + " multiply-accumulates)"),
      kv("memory traffic", mib(m.bytes)),
      kv("params", big(m.params) + " (" + mib(m.weight_bytes) + ")"),
      kv("arena", mib(m.arena_bytes) + " (naive " + mib(m.activation_bytes_total) + ")"),
      kv("peak RSS", mib(r.peak_rss_bytes) + "; " + fix(r.minor_faults_per_run, 1) + " minor faults per run"),
      kv("overhead", "instrumentation " + fix(r.overhead_pct, 2) + "%; spread " +
        fix(num((r.instrumented_ms || {}).median) - num(r.layer_sum_ms), 3) + " ms; no FLOP model " + fix(r.unmodelled_ms, 3) + " ms")
    ];
    items.splice(2, 0, kv("machine", (r.cpu || (hw || {}).cpu || "?") + ", " + r.threads + (r.threads === 1 ? " thread" : " threads")));
    if (hw) {
      var bw = hw.bandwidth_gbs || {};
      items.splice(3, 0, kv("roofs (" + (hw.source === "spec" ? "spec file" : "measured") + ")", fix(hw.peak_gflops, 1) + " GFLOP/s; L1 " + fix(bw.l1, 0) +
          ", L2 " + fix(bw.l2, 0) + ", L3 " + fix(bw.l3, 0) + ", DRAM " + fix(bw.dram, 1) + " GB/s"));
    }
    if (r.until_stable) items.push(kv("until stable", untilStableText(r.until_stable, r.runs)));
    if (r.noise) items.push(kv("unstable medians", r.noise.unstable_layers + " layers (marked ~: the median's 95% interval " +
      "reaches beyond \u00b15%)"));
    var en = r.energy_estimate;
    if (en) items.push(kv("energy estimate", fix(en.power_w, 1) + " W, " + prec(en.joules_per_inference, 3) +
      " J per inference, " + prec(en.gco2_per_inference, 3) + " gCO2 (from this machine's constants)"));
    var pr = p.prediction;
    if (pr) {
      items.push(kv(pr.label, fix(pr.latency_ms, 3) + " ms per inference predicted (roofline time from the hardware file," +
        " not measured; column \u201cpred ms\u201d)"));
      var pe = pr.energy_estimate;
      if (pe) items.push(kv("predicted energy", fix(pe.power_w, 1) + " W, " + prec(pe.joules_per_inference, 3) +
        " J per inference, " + prec(pe.gco2_per_inference, 3) + " gCO2 (the file's constants, predicted time)"));
    }
    warnings(p).forEach(function (w) { items.unshift(el("div", {cls: "kv warn"}, [el("span", {cls: "k", text: "warning"}),
      el("span", {cls: "v", text: w})])); });
    return el("section", {id: "summary"}, [el("h2", {text: "Summary"}), el("div", {cls: "grid"}, items),
      el("pre", {id: "roof-errors", text: errors.join("\n")})]);
  }

  /* ---- roofline chart ---- */
  function decades(lo, hi) {
    var a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
    if (b <= a) b = a + 1;
    return [a, b];
  }

  function chartRanges(p, layers) {
    var xs = [], ys = [], hw = p.hardware;
    layers.forEach(function (l) {
      if (num(l.arithmetic_intensity) > 0) xs.push(l.arithmetic_intensity);
      if (num(l.achieved_gflops) > 0) ys.push(l.achieved_gflops);
    });
    if (hw) {
      ys.push(hw.peak_gflops * 1.5);
      LEVELS.forEach(function (lv) { var bw = num((hw.bandwidth_gbs || {})[lv]); if (bw > 0) xs.push(hw.peak_gflops / bw); });
    }
    if (!xs.length) xs = [0.1, 100];
    if (!ys.length) ys = [0.1, 100];
    return {x: decades(Math.min.apply(null, xs) / 1.5, Math.max.apply(null, xs) * 1.5),
            y: decades(Math.min.apply(null, ys) / 1.5, Math.max.apply(null, ys))};
  }

  function chart(p, layers, state) {
    var W = 900, H = 480, L = 64, R = 20, T = 16, B = 46;
    var rg = chartRanges(p, layers);
    function sx(v) { return L + (Math.log10(v) - rg.x[0]) / (rg.x[1] - rg.x[0]) * (W - L - R); }
    function sy(v) { return H - B - (Math.log10(v) - rg.y[0]) / (rg.y[1] - rg.y[0]) * (H - T - B); }
    var xmin = Math.pow(10, rg.x[0]), xmax = Math.pow(10, rg.x[1]), ymin = Math.pow(10, rg.y[0]);
    var root = svg("svg", {cls: "roofline", viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": "roofline chart"});
    var axis = svg("g", {cls: "axis"});
    for (var d = rg.x[0]; d <= rg.x[1]; d++) {
      var x = sx(Math.pow(10, d));
      axis.appendChild(svg("line", {x1: x, x2: x, y1: T, y2: H - B}));
      axis.appendChild(svg("text", {x: x, y: H - B + 15, "text-anchor": "middle", text: fmtPow(d)}));
    }
    for (d = rg.y[0]; d <= rg.y[1]; d++) {
      var y = sy(Math.pow(10, d));
      axis.appendChild(svg("line", {x1: L, x2: W - R, y1: y, y2: y}));
      axis.appendChild(svg("text", {x: L - 6, y: y + 4, "text-anchor": "end", text: fmtPow(d)}));
    }
    axis.appendChild(svg("text", {cls: "axis-title", x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle",
      text: "arithmetic intensity (FLOP/byte)"}));
    axis.appendChild(svg("text", {cls: "axis-title", transform: "translate(14 " + (H - B + T) / 2 + ") rotate(-90)",
      "text-anchor": "middle", text: "achieved GFLOP/s"}));
    root.appendChild(axis);
    root.appendChild(svg("clipPath", {id: "plot-area"}, svg("rect", {x: L, y: T - 10, width: W - L - R, height: H - B - T + 10})));
    if (p.hardware) drawRoofs(root, p.hardware, sx, sy, xmin, xmax);
    var pts = svg("g", {cls: "points"});
    var order = layers.slice().sort(function (a, b) { return (b.share || 0) - (a.share || 0); });
    order.forEach(function (l) {
      var xi = num(l.arithmetic_intensity), yi = num(l.achieved_gflops);
      var placed = xi > 0 && yi > 0;
      var cx = sx(Math.min(Math.max(xi > 0 ? xi : xmin, xmin), xmax));
      var cy = sy(Math.max(yi > 0 ? yi : ymin, ymin));
      var r = Math.max(2.5, 26 * Math.sqrt(Math.max(l.share || 0, 0)));
      var c = svg("circle", {cls: "layer-point " + colourClass(l, state) + (placed ? "" : " unplaced"),
        cx: cx.toFixed(1), cy: cy.toFixed(1), r: r.toFixed(1), "data-index": l.index});
      if (state.colour === "op") c.style.fill = c.style.stroke = opColour(l.op_type, state);
      pts.appendChild(c);
    });
    root.appendChild(pts);
    return root;
  }

  function fmtPow(d) { return d >= 0 && d <= 3 ? String(Math.pow(10, d)) : d < 0 && d >= -2 ? Math.pow(10, d).toFixed(-d) : "1e" + d; }

  function drawRoofs(root, hw, sx, sy, xmin, xmax) {
    var g = svg("g", {cls: "roofs", "clip-path": "url(#plot-area)"});
    var peak = num(hw.peak_gflops);
    LEVELS.forEach(function (lv) {
      var bw = num((hw.bandwidth_gbs || {})[lv]);
      if (!(bw > 0) || !(peak > 0)) return;
      var ridge = Math.min(peak / bw, xmax), x0 = xmin;
      if (bw * x0 > peak) return;
      g.appendChild(svg("polyline", {cls: "roof roof-" + lv, points: sx(x0) + "," + sy(bw * x0) + " " + sx(ridge) + "," + sy(bw * ridge)}));
      var lx = Math.max(x0 * 1.3, ridge / 30);
      g.appendChild(svg("text", {cls: "roof-label", x: sx(lx) + 4, y: sy(bw * lx) - 4,
        transform: "rotate(" + slopeAngle(sx, sy, lx, bw) + " " + sx(lx) + " " + sy(bw * lx) + ")",
        text: lv.toUpperCase() + " " + bw.toFixed(bw < 100 ? 1 : 0) + " GB/s"}));
    });
    if (peak > 0) {
      var rmin = Infinity;
      LEVELS.forEach(function (lv) { var bw = num((hw.bandwidth_gbs || {})[lv]); if (bw > 0) rmin = Math.min(rmin, peak / bw); });
      var x0 = Math.max(xmin, Math.min(rmin, xmax));
      g.appendChild(svg("line", {cls: "roof roof-compute", x1: sx(x0), x2: sx(xmax), y1: sy(peak), y2: sy(peak)}));
      g.appendChild(svg("text", {cls: "roof-label", x: sx(xmax) - 4, y: sy(peak) - 5, "text-anchor": "end",
        text: "compute " + peak.toFixed(1) + " GFLOP/s"}));
    }
    root.appendChild(g);
  }

  function slopeAngle(sx, sy, x, bw) {
    var dx = sx(x * 10) - sx(x), dy = sy(bw * x * 10) - sy(bw * x);
    return (Math.atan2(dy, dx) * 180 / Math.PI).toFixed(1);
  }

  function colourClass(l, state) {
    return state.colour === "op" ? "" : state.colour === "roof" ? "j-" + judgeOf(l) : "b-" + boundOf(l);
  }

  /* "judged against the L2 roof (216 GB/s read): 0.0037 ms" and the bytes per level */
  function roofText(l, hw) {
    var j = judgeOf(l), v = "";
    if (j === "compute") v = " (" + fix(hw && hw.peak_gflops, 1) + " GFLOP/s)";
    else if (j !== "unknown") v = " (" + fix(hw && (hw.bandwidth_gbs || {})[j], 1) + " GB/s read)";
    var lines = ["judged against the " + JUDGE_LABELS[j] + v + ": " + fix(l.roofline_ms, 4) + " ms"];
    var from = l.read_from || {}, to = l.written_to || {};
    var parts = LEVELS.filter(function (lv) { return (from[lv] || 0) + (to[lv] || 0) > 0; }).map(function (lv) {
      return lv.toUpperCase() + " " + big((from[lv] || 0) + (to[lv] || 0)) + "B";
    });
    if (parts.length) lines.push("tensors from/to: " + parts.join(", "));
    return lines;
  }

  function opColour(op, state) {
    var i = state.ops.indexOf(op);
    return "hsl(" + Math.round((i * 137.5) % 360) + ", 60%, 48%)";
  }

  function tooltipText(l, hw) {
    var lines = [l.op_type + (l.describe ? " " + l.describe : "") + " (" + l.kernel + ")",
      "in " + shapeStr(l.inputs) + " \u2192 out " + shapeStr(l.outputs),
      "time " + (l.unstable ? "~" : "") + fix(median(l), 4) + " ms (" + pct(l.share) + " of layers)" +
        (l.unstable ? ", unstable median" : ""),
      "efficiency " + pct(l.efficiency) + ", headroom " + fix(l.headroom_ms, 4) + " ms",
      boundOf(l) + "-bound" + (l.roofline_level ? " at " + l.roofline_level.toUpperCase() : "") +
        ", " + fix(l.arithmetic_intensity, 2) + " FLOP/B, " + fix(l.achieved_gflops, 2) + " GFLOP/s"];
    if (l.compute) {
      lines.push("precision: stores " + (l.widened_from ? l.widened_from + " in the model, runs on float32 copies"
        : (l.store_weights ? "weights " + l.store_weights + ", " : "") + "activations " + l.store_activations) +
        "; computes in " + l.compute);
    }
    if ((l.flags || []).indexOf("dq_sandwich") >= 0) {
      lines.push("dq_sandwich: float between DequantizeLinear and QuantizeLinear, +" +
        fix(l.dq_sandwich_extra_bytes / 1024, 1) + " KiB over the float model");
    }
    if (l.roofline_ms !== undefined) lines = lines.concat(roofText(l, hw));
    if (!(num(l.arithmetic_intensity) > 0 && num(l.achieved_gflops) > 0)) lines.push("no FLOPs or bytes: pinned to the axis");
    return lines;
  }

  function wireChart(wrap, layersByIndex, state, onSelect) {
    var tip = el("div", {cls: "tip"});
    wrap.appendChild(tip);
    wrap.addEventListener("mousemove", function (e) {
      var t = e.target;
      if (!(t.classList && t.classList.contains("layer-point"))) { tip.style.display = "none"; return; }
      var l = layersByIndex[t.getAttribute("data-index")];
      tip.textContent = "";
      tip.appendChild(el("b", {text: "#" + l.index + " " + l.name}));
      tooltipText(l, state.hw).forEach(function (s) { tip.appendChild(el("div", {text: s})); });
      var box = wrap.getBoundingClientRect();
      var x = e.clientX - box.left + 14, y = e.clientY - box.top + 14;
      if (x + 320 > box.width) x = Math.max(0, x - 340);
      tip.style.left = x + "px";
      tip.style.top = y + "px";
      tip.style.display = "block";
    });
    wrap.addEventListener("mouseleave", function () { tip.style.display = "none"; });
    wrap.addEventListener("click", function (e) {
      var t = e.target;
      if (t.classList && t.classList.contains("layer-point")) onSelect(Number(t.getAttribute("data-index")));
    });
  }

  /* ---- by op type ---- */
  function byOp(layers) {
    var m = {};
    layers.forEach(function (l) {
      var o = m[l.op_type] || (m[l.op_type] = {op: l.op_type, count: 0, ms: 0, share: 0, roofMs: 0, timedMs: 0, flops: 0});
      o.count++;
      o.ms += median(l) || 0;
      o.share += l.share || 0;
      o.flops += l.flops || 0;
      /* time-weighted: the op's summed roofs over its summed times (a mean of ratios would let
       * a few tiny layers above their roof outweigh the slow ones) */
      if (num(l.efficiency) !== null && (median(l) || 0) > 0) { o.roofMs += l.roofline_ms || 0; o.timedMs += median(l); }
    });
    var rows = Object.keys(m).map(function (k) { return m[k]; });
    rows.sort(function (a, b) { return b.ms - a.ms; });
    var tb = el("tbody");
    rows.forEach(function (o) {
      tb.appendChild(el("tr", null, [el("td", {cls: "l", text: o.op}), el("td", {text: o.count}),
        el("td", {text: fix(o.ms, 3)}), shareBar(o.share), el("td", {text: big(o.flops)}),
        effCell(o.timedMs > 0 ? o.roofMs / o.timedMs : null)]));
    });
    var head = el("tr", null, ["op type", "count", "time ms", "share", "FLOP", "efficiency (time-weighted)"].map(function (h, i) {
      return el("th", {cls: i ? "" : "l", text: h});
    }));
    return el("section", {id: "by-op"}, [el("h2", {text: "By op type"}), el("table", null, [el("thead", null, head), tb])]);
  }

  /* ---- control-flow bodies: If / Loop / Scan body layers, inside their control row's time ---- */
  function bodiesSection(p) {
    var rows = p.body_layers || [], layers = p.layers || [];
    var tb = el("tbody"), runs = p.body_runs || 0;
    function selfRow(name, op, ms, depth) {
      tb.appendChild(el("tr", {cls: "body-own"}, [el("td", {cls: "l name", text: name + " (own)", title: name}),
        el("td", {cls: "l", text: op}), el("td"), el("td"), el("td"), el("td", {text: fix(ms, 4)}), el("td")]));
    }
    function within(i, parent, owner) {
      var r = rows[i];
      if (!r || r.parent !== parent) return false;
      for (var o = r.owner; owner !== null; o = rows[o].owner) {
        if (o === owner) return true;
        if (o === null) return false;
      }
      return true;
    }
    rows.forEach(function (b, i) {
      var timed = b.executed === true;
      var tr = el("tr", {cls: "body-row", "data-body": String(i)}, [
        el("td", {cls: "l name", text: b.name, title: b.name}), el("td", {cls: "l", text: b.op_type}),
        el("td", {cls: "l", text: b.kernel}),
        el("td", {text: b.executed === null ? "not timed" : timed ? String(b.iterations.median) : "not executed"}),
        el("td", {text: timed ? fix(b.per_iteration_ms, 4) : ""}),
        el("td", {text: timed ? fix(b.total_ms.median, 4) : ""}), timed ? shareBar(b.share) : el("td")]);
      tb.appendChild(tr);
      if (runs === 0) return;
      for (var o = b.owner; !within(i + 1, b.parent, o);) { /* after a control row's last body layer, its own time */
        if (o === null) {
          var c = layers.filter(function (l) { return l.index === b.parent; })[0];
          if (c && num(c.self_ms) !== null) selfRow(c.name, c.op_type, c.self_ms);
          break;
        }
        if (rows[o].executed) selfRow(rows[o].name, rows[o].op_type, rows[o].self_ms);
        o = rows[o].owner;
      }
    });
    var head = el("tr", null, ["body layer", "op", "kernel", "iterations", "ms / iteration", "total ms", "share"].map(function (h, i) {
      return el("th", {cls: i < 3 ? "l" : "", text: h});
    }));
    return el("section", {id: "bodies"}, [el("h2", {text: "Control-flow bodies"}),
      el("p", {cls: "note", text: "Layers of If, Loop and Scan bodies, named <node>/<then|else|body>/<layer>: " +
        "iterations per inference (median over " + runs + " runs), median time per iteration and in all. They are " +
        "inside their control layer's time and not added to the layer sum; (own) is the control layer's time less " +
        "its bodies' layers (copies in and out, the condition). A branch not taken is listed as not executed."}),
      el("div", {cls: "table-scroll"}, el("table", {id: "body-layers"}, [el("thead", null, head), tb]))]);
  }

  function shareBar(s) {
    var w = Math.max(0, Math.min(1, num(s) || 0)) * 100;
    var i = el("i");
    i.style.width = w.toFixed(1) + "%";
    return el("td", {cls: "bar"}, [i, el("span", {text: pct(s)})]);
  }

  /* l (optional): the layer, whose executed_flops / algorithm explain an efficiency above 100% */
  function effCell(e, l) {
    var td = el("td", {cls: "eff", text: pct(e, 0)});
    var fast = l && l.algorithm && (l.flags || []).indexOf("fast_algorithm") >= 0;
    if (num(e) !== null) {
      td.style.background = e > 1.05 && !fast ? "#e6d4fb" : "hsl(" + Math.round(120 * Math.min(e, 1)) + ", 70%, 86%)";
      if (fast) {
        td.textContent += "*";
        td.title = l.algorithm + ": executes " + pct(l.executed_flops / l.flops, 0) +
          " of the direct convolution's FLOPs, within its own roof";
      } else if (e > 1.05) td.title = "above its roof: the cost model is suspect for this layer";
    }
    return td;
  }

  /* ---- compare ---- */
  function compareSection(c) {
    var t = c.totals || {}, o = c.outputs || {};
    var grid = el("div", {cls: "grid"}, [
      kv("latency", fix(t.latency_before_ms, 3) + " ms \u2192 " + fix(t.latency_after_ms, 3) + " ms (speedup " + fix(t.speedup, 3) + "x)"),
      kv("executed nodes", t.nodes_before + " \u2192 " + t.nodes_after),
      kv("compute nodes (no layout conversions)", t.compute_nodes_before + " \u2192 " + t.compute_nodes_after),
      kv("outputs", (o.agree ? "agree" : "DIFFER") + "; max abs error " + prec(o.max_abs_error, 3))]);
    var tb = el("tbody"), saved = 0;
    (c.groups || []).forEach(function (g) {
      saved += num(g.saved_ms) || 0;
      tb.appendChild(el("tr", null, [el("td", {cls: "l name", text: g.name, title: g.name}),
        el("td", {text: fix(g.before_ms, 4)}), el("td", {text: fix(g.after_ms, 4)}),
        el("td", {cls: num(g.saved_ms) >= 0 ? "saved-pos" : "saved-neg", text: fix(g.saved_ms, 4)}),
        el("td", {cls: "l wrap", text: g.fused_from.length + ": " + g.fused_from.join(", ")})]));
    });
    var head = el("tr", null, ["fused layer", "before ms", "after ms", "saved ms", "original nodes"].map(function (h, i) {
      return el("th", {cls: i === 0 || i === 4 ? "l" : "", text: h});
    }));
    var folded = (c.folded || []).filter(function (f) { return f.pass !== "constfold"; });
    return el("section", {id: "compare"}, [el("h2", {text: "Fusion: unfused vs fused"}), grid,
      el("p", {cls: "note", text: (c.groups || []).length + " fused groups save " + fix(saved, 3) + " ms in layer medians; " +
        folded.length + " nodes removed outright"}),
      el("div", {cls: "table-scroll"}, el("table", {id: "groups"}, [el("thead", null, head), tb]))]);
  }

  /* ---- two saved profiles (rooftop.diff/1): who A and B are, then A's layers beside B's ---- */
  function sideText(x) {
    return x.file + ": " + String(x.model).split("/").pop() + ", " + x.cpu + ", " + x.threads + " thread" +
      (x.threads === 1 ? "" : "s") + ", fusion " + x.fusion + ", " + x.date;
  }

  function diffSection(d) {
    var t = d.totals || {};
    var grid = el("div", {cls: "grid"}, [kv("A", sideText(d.a)), kv("B", sideText(d.b)),
      kv("latency", fix(d.a.latency_ms, 3) + " ms \u2192 " + fix(d.b.latency_ms, 3) + " ms (B/A " + fix(t.latency_ratio, 3) + ")"),
      kv("sum of layers", fix(d.a.layer_sum_ms, 3) + " ms \u2192 " + fix(d.b.layer_sum_ms, 3) + " ms (B/A " +
        fix(t.layer_sum_ratio, 3) + "); outside the layers " + fix(t.outside_layers_a_ms, 3) + " \u2192 " +
        fix(t.outside_layers_b_ms, 3) + " ms")]);
    var tb = el("tbody");
    (d.rows || []).forEach(function (r) {
      tb.appendChild(el("tr", null, [el("td", {text: r.index}), el("td", {cls: "l name", text: r.name, title: r.name}),
        el("td", {cls: "l", text: r.op_type}), el("td", {text: fix(r.a_ms, 4)}),
        el("td", {text: r.b_ms === null ? "-" : fix(r.b_ms, 4)}), el("td", {text: r.ratio === null ? "" : fix(r.ratio, 2)}),
        el("td", {cls: "l name", text: r.b_name === null ? "(none: removed or unmatched)" : r.b_name})]));
    });
    var head = el("tr", null, ["#", "layer (A)", "op", "A ms", "B ms", "B/A", "B layer"].map(function (h, i) {
      return el("th", {cls: i === 1 || i === 2 || i === 6 ? "l" : "", text: h});
    }));
    var parts = [el("h2", {text: "A vs B: two saved profiles"}), grid];
    if (d.models_differ) parts.push(el("p", {cls: "note", id: "diff-warning", text: "warning: A and B are different models (" +
      d.models_differ + "): layers matched by node name only"}));
    parts.push(el("div", {cls: "table-scroll"}, el("table", {id: "diff"}, [el("thead", null, head), tb])));
    parts.push(el("p", {cls: "note", text: "Below: B's profile (" + d.b.file + ")."}));
    return el("section", {id: "compare"}, parts);
  }

  /* ---- two models of one network (rooftop.compare_models/1): A's layers beside B's ---- */
  function kib(v) { return fix((num(v) || 0) / 1024, 1); }

  function modelsSection(d) {
    var t = d.totals || {};
    var outs = (d.outputs || []).map(function (o) {
      return o.name + ": max abs error " + prec(o.max_abs_error, 3) + ", cosine " + fix(o.cosine, 6);
    });
    var grid = el("div", {cls: "grid"}, [kv("A", d.a.file), kv("B", d.b.file),
      kv("latency", fix(d.a.latency_ms, 3) + " ms \u2192 " + fix(d.b.latency_ms, 3) + " ms (B/A " + fix(t.latency_ratio, 3) +
        ", speedup " + fix(t.speedup, 3) + "x over " + t.alternating_rounds + " alternating rounds)"),
      kv("bytes moved", kib(d.a.bytes) + " \u2192 " + kib(d.b.bytes) + " KiB (B/A " + fix(t.bytes_ratio, 3) + ")"),
      kv("matched layers", t.matched_rows + ": " + fix(t.matched_a_ms, 3) + " \u2192 " + fix(t.matched_b_ms, 3) + " ms, " +
        kib(t.matched_a_bytes) + " \u2192 " + kib(t.matched_b_bytes) + " KiB; unmatched " + t.unmatched_a + " in A, " +
        t.unmatched_b + " in B"),
      kv("outputs", outs.join("; ") || "none")]);
    var tb = el("tbody");
    (d.rows || []).forEach(function (r) {
      var ratio = num(r.a_ms) > 0 && !r.b_shared ? fix(r.b_ms / r.a_ms, 2) : "";
      tb.appendChild(el("tr", null, [el("td", {cls: "l name", text: r.a_name, title: r.a_name}), el("td", {cls: "l", text: r.a_op_type}),
        el("td", {text: fix(r.a_ms, 4)}), el("td", {text: kib(r.a_bytes)}), el("td", {cls: "l", text: r.b_op_type}),
        el("td", {text: r.b_shared ? "(shared)" : fix(r.b_ms, 4)}), el("td", {text: r.b_shared ? "" : kib(r.b_bytes)}),
        el("td", {text: ratio})]));
    });
    var head = el("tr", null, ["layer (A)", "A op", "A ms", "A KiB", "B op", "B ms", "B KiB", "B/A"].map(function (h, i) {
      return el("th", {cls: i === 0 || i === 1 || i === 4 ? "l" : "", text: h});
    }));
    var unmatched = ["a", "b"].map(function (k) {
      return (d["unmatched_" + k] || []).map(function (u) { return u.layer_name + " (" + u.layer_op_type + ")"; });
    });
    return el("section", {id: "compare"}, [el("h2", {text: "A vs B: two models of one network"}), grid,
      el("div", {cls: "table-scroll"}, el("table", {id: "models"}, [el("thead", null, head), tb])),
      el("p", {cls: "note", text: "Unmatched in A: " + (unmatched[0].join(", ") || "none") + ". Unmatched in B: " +
        (unmatched[1].join(", ") || "none") + ". Below: B's profile (" + d.b.file + ")."})]);
  }

  /* ---- layer table ---- */
  var COLS = [
    {key: "index", label: "#", get: function (l) { return l.index; }},
    {key: "name", label: "layer", cls: "l name", get: function (l) { return l.name; }},
    {key: "op", label: "op", cls: "l", get: function (l) { return l.op_type; }},
    {key: "kernel", label: "kernel", cls: "l", get: function (l) { return l.kernel; }},
    {key: "shape", label: "output", cls: "l", get: function (l) { return shapeStr(l.outputs); }},
    {key: "flops", label: "MFLOP", get: function (l) { return l.flops; }, fmt: function (v) { return fix(v / 1e6, 2); }},
    {key: "bytes", label: "MiB", get: function (l) { return (l.bytes_read || 0) + (l.bytes_written || 0); },
      fmt: function (v) { return fix(v / 1048576, 3); }},
    {key: "ai", label: "FLOP/B", get: function (l) { return num(l.arithmetic_intensity); }, fmt: function (v) { return fix(v, 1); }},
    {key: "time", label: "ms", get: median, fmt: function (v) { return fix(v, 4); }},
    {key: "share", label: "share", get: function (l) { return num(l.share); }, bar: true},
    {key: "gflops", label: "GFLOP/s", get: function (l) { return num(l.achieved_gflops); }, fmt: function (v) { return fix(v, 1); }},
    {key: "eff", label: "eff", get: function (l) { return num(l.efficiency); }, eff: true},
    {key: "headroom", label: "headroom", get: function (l) { return num(l.headroom_ms); }, fmt: function (v) { return fix(v, 4); }},
    {key: "bound", label: "bound", cls: "l", tag: true, get: function (l) {
      return boundOf(l) + (boundOf(l) === "memory" && l.roofline_level ? " " + l.roofline_level.toUpperCase() : "");
    }}
  ];

  function compareValues(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b));
  }

  function buildView(layers, state) {
    var col = COLS.filter(function (c) { return c.key === state.sortKey; })[0] || COLS[0];
    var rows = layers.filter(function (l) {
      return (!state.op || l.op_type === state.op) && (!state.bound || boundOf(l) === state.bound) &&
        (!state.text || l.name.toLowerCase().indexOf(state.text) >= 0);
    });
    var keyed = rows.map(function (l) { return {l: l, v: col.get(l)}; });
    keyed.sort(function (a, b) {
      var c = compareValues(a.v, b.v);
      if (a.v !== null && b.v !== null && a.v !== undefined && b.v !== undefined) c *= state.dir;
      return c || a.l.index - b.l.index;
    });
    return keyed.map(function (k) { return k.l; });
  }

  function rowFor(l, state) {
    var tr = el("tr", {"data-index": l.index});
    if (state.selected === l.index) tr.className = "sel";
    COLS.forEach(function (c) {
      var v = c.get(l), td;
      if (c.bar) td = shareBar(v);
      else if (c.eff) td = effCell(v, l);
      else if (c.tag) td = el("td", {cls: "l"}, el("span", {cls: "tag " + boundOf(l), text: v}));
      else td = el("td", {cls: c.cls, text: c.key === "name" ? midCut(v, 32) : c.fmt ? c.fmt(v) : v});
      if (c.key === "time" && l.unstable) {
        td.textContent = "~" + td.textContent;
        td.className = "unstable";
        td.title = "unstable median: 95% interval " + fix(l.time_ms.median_low, 4) + " to " + fix(l.time_ms.median_high, 4) + " ms";
      }
      if (c.key === "name") {
        td.title = l.name;
        if ((l.fused_from || []).length > 1) {
          var b = el("button", {cls: "exp", "data-expand": l.index, text: (state.open[l.index] ? "\u25BE " : "\u25B8 ") + l.fused_from.length});
          td.insertBefore(b, td.firstChild);
        }
      }
      tr.appendChild(td);
    });
    return tr;
  }

  function tableSection(layers, state) {
    var ops = state.ops;
    var opSel = el("select", {id: "filter-op"}, [el("option", {value: "", text: "all (" + ops.length + ")"})].concat(
      ops.map(function (o) { return el("option", {value: o, text: o}); })));
    var boundSel = el("select", {id: "filter-bound"}, ["", "compute", "memory", "unknown"].map(function (b) {
      return el("option", {value: b, text: b || "all"});
    }));
    var search = el("input", {id: "filter-name", type: "search", placeholder: "name contains\u2026"});
    opSel.addEventListener("change", function () { state.op = opSel.value; state.page = 0; state.rerender(); });
    boundSel.addEventListener("change", function () { state.bound = boundSel.value; state.page = 0; state.rerender(); });
    search.addEventListener("input", function () { state.text = search.value.toLowerCase(); state.page = 0; state.rerender(); });
    var head = el("tr", null, COLS.map(function (c) {
      return el("th", {cls: "sortable " + (c.cls || "").replace("name", ""), "data-key": c.key, text: c.label, title: c.title});
    }));
    var thead = el("thead", null, head);
    thead.addEventListener("click", function (e) {
      var key = e.target.getAttribute && e.target.getAttribute("data-key");
      if (!key) return;
      if (state.sortKey === key) state.dir = -state.dir;
      else { state.sortKey = key; state.dir = key === "index" || key === "name" || key === "op" || key === "eff" ? 1 : -1; }
      state.page = 0;
      state.rerender();
    });
    var tbody = el("tbody", {id: "layer-rows"});
    tbody.addEventListener("click", function (e) {
      var idx = e.target.getAttribute && e.target.getAttribute("data-expand");
      if (idx === null || idx === undefined) return;
      state.open[idx] = !state.open[idx];
      state.rerender();
    });
    var pager = el("div", {cls: "pager"});
    return {
      section: el("section", {id: "layers"}, [el("h2", {text: "Layers"}),
        el("div", {cls: "controls"}, [el("label", null, ["op ", opSel]), el("label", null, ["bound ", boundSel]), search]),
        el("div", {cls: "table-scroll", id: "layer-scroll"}, el("table", {id: "layer-table"}, [thead, tbody])), pager]),
      thead: thead, tbody: tbody, pager: pager, opSel: opSel, boundSel: boundSel, search: search
    };
  }

  function renderRows(t, layers, state) {
    state.view = buildView(layers, state);
    var pages = Math.max(1, Math.ceil(state.view.length / PAGE));
    state.page = Math.min(Math.max(state.page, 0), pages - 1);
    var first = state.page * PAGE, rows = state.view.slice(first, first + PAGE);
    var frag = document.createDocumentFragment();
    rows.forEach(function (l) {
      frag.appendChild(rowFor(l, state));
      if (state.open[l.index]) {
        frag.appendChild(el("tr", {cls: "sub"}, el("td", {colspan: COLS.length,
          text: "fused from " + l.fused_from.length + " original nodes: " + l.fused_from.join(", ")})));
      }
    });
    t.tbody.textContent = "";
    t.tbody.appendChild(frag);
    Array.prototype.forEach.call(t.thead.querySelectorAll("th"), function (th) {
      var k = th.getAttribute("data-key");
      th.classList.toggle("sorted-asc", k === state.sortKey && state.dir > 0);
      th.classList.toggle("sorted-desc", k === state.sortKey && state.dir < 0);
    });
    renderPager(t.pager, state, pages, first, rows.length, layers.length);
    document.body.dataset.rows = String(state.view.length);
    document.body.dataset.pageRows = String(rows.length);
  }

  function renderPager(box, state, pages, first, shown, total) {
    box.textContent = "";
    var prev = el("button", {id: "page-prev", text: "\u2039 prev"}), next = el("button", {id: "page-next", text: "next \u203A"});
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
    prev.addEventListener("click", function () { state.page--; state.rerender(); });
    next.addEventListener("click", function () { state.page++; state.rerender(); });
    var info = "rows " + (shown ? first + 1 : 0) + "\u2013" + (first + shown) + " of " + state.view.length +
      (state.view.length !== total ? " (filtered from " + total + ")" : "") + "; page " + (state.page + 1) + " of " + pages;
    append(box, [prev, next, el("span", {id: "page-info", text: info})]);
  }

  /* ---- page ---- */
  function render() {
    var t0 = performance.now();
    var data = JSON.parse(document.getElementById("roof-data").textContent);
    var isCompare = data.schema === "rooftop.compare/1", isDiff = data.schema === "rooftop.diff/1";
    var isModels = data.schema === "rooftop.compare_models/1";
    var p = isCompare ? data.fused : isDiff ? data.profile_b : isModels ? data.profile_b : data;
    var layers = p.layers || [];
    var byIndex = {};
    layers.forEach(function (l) { byIndex[l.index] = l; });
    var ops = [];
    layers.forEach(function (l) { if (ops.indexOf(l.op_type) < 0) ops.push(l.op_type); });
    ops.sort();
    var state = {sortKey: "index", dir: 1, page: 0, op: "", bound: "", text: "", open: {}, selected: -1,
      colour: p.hardware ? "roof" : "bound", ops: ops, view: [], hw: p.hardware};
    var name = ((p.model || {}).path || "model").split("/").pop();
    document.title = "rooftop: " + name + (isCompare ? " (fusion compare)" : isDiff || isModels ? " (A vs B)" : "");
    var app = document.getElementById("app");
    app.textContent = "";
    app.appendChild(el("header", null, [el("h1", {text: "rooftop " + (isCompare ? "fusion compare" : isDiff || isModels ? "A vs B" : "profile") + ": " + name}),
      el("div", {cls: "sub", text: (p.model || {}).path + " \u2014 " + ((p.tool || {}).name || "rooftop") + " " + ((p.tool || {}).version || "") +
        ", schema " + data.schema})].concat(verdictText(p.run) === null ? [] :
        [el("div", {id: "roof-verdict", cls: "verdict " + p.run.noise.verdict, text: verdictText(p.run)})])));
    var main = el("main");
    app.appendChild(main);
    main.appendChild(summary(p));
    if (p.prediction) COLS.splice(COLS.findIndex(function (c) { return c.key === "share"; }) + 1, 0, {key: "predicted",
      label: "pred ms", title: p.prediction.label, get: function (l) { return num(l.predicted_ms); }, fmt: function (v) { return fix(v, 4); }});
    if (isCompare) main.appendChild(compareSection(data));
    if (isDiff) main.appendChild(diffSection(data));
    if (isModels) main.appendChild(modelsSection(data));
    var chartWrap = el("div", {cls: "chart-wrap", id: "chart"});
    var colourSel = el("select", {id: "colour-by"}, [el("option", {value: "roof", text: "roof judging it"}),
      el("option", {value: "bound", text: "bound"}), el("option", {value: "op", text: "op type"})]);
    colourSel.value = state.colour;
    var legend = el("div", {cls: "legend"});
    main.appendChild(el("section", {id: "roofline"}, [el("h2", {text: "Roofline"}),
      el("div", {cls: "controls"}, el("label", null, ["colour by ", colourSel])), chartWrap, legend,
      el("p", {cls: "note", text: "One circle per executed layer; area by share of layer time. Layers with no FLOPs or " +
        "bytes are pinned to the axis (hollow). Roofs: compute peak and read bandwidth per memory level. " +
        "Coloured by roof: the roof each layer is judged against (compute, or the memory level that takes " +
        "most of its memory time in the residency model); its bound is in the tooltip."})]));
    var table = tableSection(layers, state);
    main.appendChild(byOp(layers));
    main.appendChild(table.section);
    if ((p.body_layers || []).length) main.appendChild(bodiesSection(p));
    document.body.dataset.bodyRows = String(document.querySelectorAll("#body-layers tr.body-row").length);

    function drawChart() {
      var old = chartWrap.querySelector("svg");
      var fresh = chart(p, layers, state);
      if (old) chartWrap.replaceChild(fresh, old); else chartWrap.insertBefore(fresh, chartWrap.firstChild);
      drawLegend(legend, state);
      markSelected(chartWrap, state.selected);
      document.body.dataset.points = String(chartWrap.querySelectorAll("circle.layer-point").length);
    }
    state.rerender = function () { renderRows(table, layers, state); };
    colourSel.addEventListener("change", function () { state.colour = colourSel.value; drawChart(); });
    wireChart(chartWrap, byIndex, state, function (idx) { selectLayer(idx, state, table, layers, chartWrap); });
    drawChart();
    state.rerender();
    document.body.dataset.layers = String(layers.length);
    document.body.dataset.pageSize = String(PAGE);
    document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
    document.body.dataset.errors = String(errors.length);
    document.body.dataset.state = "ready";
    window.rooftopReport = {state: state, data: data};
  }

  function drawLegend(box, state) {
    box.textContent = "";
    var items = state.colour === "op"
      ? state.ops.map(function (o) { return [o, opColour(o, state)]; })
      : state.colour === "roof"
      ? ["compute", "l1", "l2", "l3", "dram", "unknown"].map(function (j) { return [JUDGE_LABELS[j], "var(--j-" + j + ")"]; })
      : [["compute-bound", "var(--compute)"], ["memory-bound", "var(--memory)"], ["no FLOP model", "var(--unknown)"]];
    items.forEach(function (it) {
      var s = el("span", {text: it[0]});
      s.style.setProperty("--c", it[1]);
      box.appendChild(s);
    });
  }

  function markSelected(chartWrap, idx) {
    Array.prototype.forEach.call(chartWrap.querySelectorAll("circle.sel"), function (c) { c.classList.remove("sel"); });
    var c = chartWrap.querySelector('circle[data-index="' + idx + '"]');
    if (c) c.classList.add("sel");
  }

  function selectLayer(idx, state, table, layers, chartWrap) {
    state.selected = idx;
    var pos = buildView(layers, state).findIndex(function (l) { return l.index === idx; });
    if (pos < 0) {
      state.op = state.bound = state.text = "";
      table.opSel.value = table.boundSel.value = table.search.value = "";
      pos = buildView(layers, state).findIndex(function (l) { return l.index === idx; });
    }
    state.page = Math.floor(Math.max(pos, 0) / PAGE);
    state.rerender();
    markSelected(chartWrap, idx);
    var tr = table.tbody.querySelector('tr[data-index="' + idx + '"]');
    if (tr) tr.scrollIntoView({block: "center"});
  }

  function start() {
    try {
      render();
    } catch (e) {
      noteError("render failed: " + (e && e.stack ? e.stack : e));
      document.body.dataset.state = "failed";
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
