// diffusion4j live dashboard: polls the server's JSON API and draws the run's curves with uPlot.
// The same page is report.html: there the run's data is embedded as window.D4J_STATIC (what the API would answer),
// sample grids are read beside the file, and nothing polls.
// Each chart's element records what was drawn (data-points, data-xticks, data-yticks) so a headless browser test can
// check the rendered page from its DOM.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const COLORS = ["#1f6fd1", "#d1471f", "#2a8a43", "#8a2ab0", "#c77c0e", "#0e8fa0", "#b02a5b", "#556070"];
  const caches = {};        // run name -> {rows, from, last, detail}
  const charts = {};        // element id -> {plot, key}
  let refreshMs = 2000, selected = null, compare = new Set(), shownGrid = null;
  const STATIC = window.D4J_STATIC || null;   // {runs: answer of api/runs, run: answer of api/run, written: ISO time}

  // ---------------------------------------------------------------- formatting
  function num(v) { return typeof v === "number" && isFinite(v) ? v : null; }
  function fmt(v) {
    if (v === null || v === undefined) return "n/a";
    if (typeof v !== "number") return String(v);
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (Number.isInteger(v) && a < 1e7) return String(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
    if (a >= 100) return v.toFixed(1);
    return v.toPrecision(4);
  }
  function fmtTick(v) {
    if (v === null || v === undefined) return "";
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e5 || a < 1e-3) return v.toExponential(0);
    return String(+v.toPrecision(3));
  }
  function duration(s) {
    if (s === null || !isFinite(s)) return "n/a";
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    return h > 0 ? h + "h " + String(m).padStart(2, "0") + "m" : m > 0 ? m + "m " + String(sec).padStart(2, "0") + "s" : sec + "s";
  }
  // A metrics line's wall-clock "time": ISO-8601 text or epoch seconds/milliseconds; null when absent.
  function seconds(t) {
    if (typeof t === "number") return t > 1e11 ? t / 1000 : t;
    if (typeof t === "string") { const ms = Date.parse(t); return isNaN(ms) ? null : ms / 1000; }
    return null;
  }

  // ---------------------------------------------------------------- derived series
  function trainingRows(rows) { return rows.filter((r) => typeof r.loss_avg === "number" || typeof r.loss === "number"); }
  function evalRows(rows) { return rows.filter((r) => !("loss" in r) && !("loss_avg" in r)); }
  // TensorBoard-style exponential smoothing with debiasing, so the first points are not pulled towards 0.
  function smooth(ys, w) {
    const out = []; let acc = 0, n = 0;
    for (const y of ys) {
      if (y === null) { out.push(null); continue; }
      acc = acc * w + (1 - w) * y; n = n * w + (1 - w);
      out.push(w === 0 ? y : acc / n);
    }
    return out;
  }
  function positive(v) { return typeof v === "number" && v > 0 && isFinite(v) ? v : null; }
  // Steps per second at each training row: from the wall-clock "time" fields over the last few rows when present
  // (includes sampling and checkpoint pauses), else from img_per_s and the images per step.
  function stepRates(tr, imagesPerStep) {
    return tr.map((r, i) => {
      const t1 = seconds(r.time);
      if (t1 !== null) {
        for (let j = Math.max(0, i - 10); j < i; j++) {
          const t0 = seconds(tr[j].time);
          if (t0 !== null && t1 > t0 && r.step > tr[j].step) return (r.step - tr[j].step) / (t1 - t0);
        }
      }
      return num(r.img_per_s) !== null && imagesPerStep > 0 ? r.img_per_s / imagesPerStep : null;
    });
  }
  function memKeys(rows) {
    const keys = new Set();
    for (const r of rows) for (const k in r) if (/^(gpu_mem|gpu_memory|mem_)/.test(k) && typeof r[k] === "number") keys.add(k);
    return [...keys];
  }
  function memMiB(k, v) { return /_bytes$/.test(k) ? v / 1048576 : /_gb$|_gib$/.test(k) ? v * 1024 : v; }

  // ---------------------------------------------------------------- charts
  function tickRecorder(el, attr, log) {
    return (u, splits) => {
      const labels = splits.map((v) => {
        if (!log) return fmtTick(v);
        const m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));   // label 1, 2 and 5 of each decade only
        return [1, 2, 5].some((k) => Math.abs(m - k) < 1e-6) ? fmtTick(v) : "";
      });
      el.dataset[attr] = labels.filter((s) => s !== "").join(" ");
      return labels;
    };
  }
  function drawChart(id, xs, series, opts) {
    const el = $(id);
    const finite = series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
    el.dataset.points = String(finite);
    el.dataset.series = series.map((s) => s.label).join("|");
    if (finite === 0) {
      if (charts[id]) { charts[id].plot.destroy(); delete charts[id]; }
      el.innerHTML = "<p class='dim'>" + (opts.empty || "No points yet.") + "</p>";
      return;
    }
    const key = series.map((s) => s.label).join("|") + (opts.log ? "L" : "");
    const data = [xs].concat(series.map((s) => s.values));
    const width = Math.max(320, el.clientWidth || 600);
    if (charts[id] && charts[id].key === key) { charts[id].plot.setData(data); return; }
    if (charts[id]) charts[id].plot.destroy();
    el.innerHTML = "";
    const plot = new uPlot({
      width: width, height: opts.height || 220,
      scales: { x: { time: false }, y: opts.log ? { distr: 3 } : {} },
      axes: [
        { label: opts.xLabel || "step", values: tickRecorder(el, "xticks", false), size: 40 },
        { label: opts.yLabel || "", values: tickRecorder(el, "yticks", !!opts.log), size: 64 },
      ],
      series: [{ label: "step" }].concat(series.map((s, i) => ({
        label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: s.width || 1.5, spanGaps: true,
        points: { show: s.points || false, size: 5 },
        value: (u, v) => v === null || v === undefined ? "–" : fmt(v),
      }))),
      legend: { show: true },
      hooks: { draw: [() => { el.dataset.drawn = String(Number(el.dataset.drawn || 0) + 1); }] },
    }, data, el);
    charts[id] = { plot: plot, key: key };
  }

  // ---------------------------------------------------------------- fetching
  async function getJson(url) {
    if (STATIC) {
      if (url.startsWith("api/runs")) return STATIC.runs;
      if (url.startsWith("api/run?")) return STATIC.run;
      throw new Error(url + ": not in this static report");
    }
    const r = await fetch(url, { cache: "no-store" });
    if (!r.ok) throw new Error(url + ": HTTP " + r.status);
    return r.json();
  }
  async function loadRun(name) {
    const c = caches[name] || (caches[name] = { rows: [], last: -1, detail: null });
    const d = await getJson("api/run?name=" + encodeURIComponent(name) + "&from=" + c.rows.length + "&last=" + c.last);
    c.rows = d.reset ? d.rows : c.rows.concat(d.rows);
    c.last = c.rows.length ? c.rows[c.rows.length - 1].step : -1;
    c.detail = d;
    return c;
  }

  // ---------------------------------------------------------------- rendering
  function renderRuns(list) {
    const body = document.querySelector("#runs tbody");
    body.innerHTML = "";
    for (const r of list.runs) {
      const tr = document.createElement("tr");
      if (r.name === selected) tr.className = "selected";
      const show = document.createElement("input"); show.type = "radio"; show.name = "show"; show.checked = r.name === selected;
      show.onchange = () => { selected = r.name; location.hash = "run=" + encodeURIComponent(r.name); shownGrid = null; tick(); };
      const cmp = document.createElement("input"); cmp.type = "checkbox"; cmp.checked = compare.has(r.name);
      cmp.onchange = () => { if (cmp.checked) compare.add(r.name); else compare.delete(r.name); tick(); };
      const cells = [show, cmp, r.name, r.state, r.step + " / " + r.total_steps, fmt(r.loss_avg)];
      for (const v of cells) {
        const td = document.createElement("td");
        if (v instanceof Node) td.appendChild(v); else td.textContent = v;
        tr.appendChild(td);
      }
      tr.cells[3].innerHTML = "<span class='badge " + r.state + "'>" + r.state + "</span>";
      body.appendChild(tr);
    }
    $("runs-section").hidden = list.runs.length < 2;
  }

  function renderRun(c) {
    const d = c.detail, rows = c.rows, tr = trainingRows(rows);
    const last = tr.length ? tr[tr.length - 1] : null;
    document.title = d.name + " — diffusion4j " + (STATIC ? "run report" : "dashboard");
    $("run-name").textContent = d.name;
    $("state-badge").textContent = d.state;
    $("state-badge").className = "badge " + d.state;
    $("state-detail").textContent = d.state_detail;
    const xs = tr.map((r) => r.step);
    const rates = stepRates(tr, d.images_per_step || 0);
    const etas = tr.map((r, i) => rates[i] ? (d.total_steps - r.step) / rates[i] / 60 : null);
    const eta = d.state === "training" && last && rates[rates.length - 1] ? (d.total_steps - last.step) / rates[rates.length - 1] : null;
    const t0 = tr.length ? seconds(tr[0].time) : null, t1 = last ? seconds(last.time) : null;
    const mk = memKeys(rows);
    const lastMem = mk.length && last ? mk.map((k) => k + " " + fmt(memMiB(k, last[k])) + " MiB").join(", ") : "n/a";
    const stats = [
      ["step", last ? last.step + " / " + d.total_steps : "0 / " + d.total_steps],
      ["loss (last step)", fmt(last && last.loss)], ["loss (log-window mean)", fmt(last && last.loss_avg)],
      ["learning rate", fmt(last && last.lr)], ["gradient norm", fmt(last && last.grad_norm)],
      ["images/s", fmt(last && last.img_per_s)], ["images seen", last && last.images_seen !== undefined ? String(last.images_seen) : "n/a"],
      ["ETA", d.state === "training" ? duration(eta) : d.state === "finished" ? "done" : "n/a (" + d.state + ")"],
      ["wall-clock time", t0 !== null && t1 !== null ? duration(t1 - t0) + " (first to last metrics line)" : "n/a (no time fields)"],
      STATIC ? ["report written", STATIC.written.replace("T", " ").replace(/\.\d+Z$|Z$/, "") + " UTC"]
        : ["last metrics update", d.updated_seconds_ago === null ? "n/a" : duration(d.updated_seconds_ago) + " ago"],
      ["GPU memory", lastMem],
    ];
    const sb = document.querySelector("#stats tbody");
    sb.innerHTML = "";
    for (let i = 0; i < stats.length; i += 3) {
      const row = document.createElement("tr");
      for (const [k, v] of stats.slice(i, i + 3)) {
        const th = document.createElement("th"); th.textContent = k;
        const td = document.createElement("td"); td.textContent = v;
        if (k === "step") td.id = "stat-step";
        row.append(th, td);
      }
      sb.appendChild(row);
    }
    $("stats").dataset.step = last ? String(last.step) : "0";

    const w = Number($("smoothing").value);
    const avg = tr.map((r) => positive(r.loss_avg));
    drawChart("chart-loss", xs, [
      { label: "loss (step)", values: tr.map((r) => positive(r.loss)), color: "#9db8e0", width: 1 },
      { label: "loss (window mean)", values: avg, color: "#6b8fc8", width: 1 },
      { label: "smoothed (" + w + ")", values: smooth(avg, w), color: "#0b3f91", width: 2.2 },
    ], { log: true, yLabel: "loss", height: 300 });
    drawChart("chart-lr", xs, [{ label: "lr", values: tr.map((r) => num(r.lr)) }], { yLabel: "lr" });
    drawChart("chart-grad", xs, [{ label: "grad norm", values: tr.map((r) => positive(r.grad_norm)) }], { log: true, yLabel: "norm" });
    drawChart("chart-speed", xs, [{ label: "images/s", values: tr.map((r) => positive(r.img_per_s)) }], { yLabel: "img/s" });
    drawChart("chart-eta", xs, [{ label: "ETA (min)", values: etas }], { yLabel: "minutes" });
    const memRows = rows.filter((r) => mk.some((k) => typeof r[k] === "number"));
    $("mem-na").hidden = mk.length > 0;
    $("chart-mem").hidden = mk.length === 0;
    if (mk.length) drawChart("chart-mem", memRows.map((r) => r.step), mk.map((k) => ({ label: k + " (MiB)", values: memRows.map((r) => num(r[k]) === null ? null : memMiB(k, r[k])) })), { yLabel: "MiB" });

    const recon = rows.filter((r) => typeof r.psnr === "number");
    $("recon-section").hidden = recon.length === 0;
    if (recon.length) {
      drawChart("chart-psnr", recon.map((r) => r.step), [{ label: "PSNR (dB)", values: recon.map((r) => positive(r.psnr)), points: true }], { log: true, yLabel: "dB" });
      drawChart("chart-ssim", recon.map((r) => r.step), [{ label: "SSIM", values: recon.map((r) => positive(r.ssim)), points: true }], { log: true, yLabel: "SSIM" });
      // train-autoencoder with the perceptual loss logs p_loss, the batch-mean LPIPS of each log window
      const lp = tr.filter((r) => typeof r.p_loss === "number");
      $("lpips-box").hidden = lp.length === 0;
      if (lp.length) drawChart("chart-lpips", lp.map((r) => r.step), [{ label: "LPIPS (training batches)", values: lp.map((r) => positive(r.p_loss)) }], { log: true, yLabel: "LPIPS" });
    }
    $("grids-title").textContent = recon.length ? "Input / reconstruction pairs over training" : "EMA samples";
    renderEval(evalRows(rows), d.evals || []);
    renderGrids(d);
    renderInfo(d);
  }

  // eval.jsonl: one row per `diffuse eval` of the run, newest last
  function renderCliEvals(evals) {
    $("cli-evals-box").hidden = evals.length === 0;
    const head = document.querySelector("#cli-evals thead"), body = document.querySelector("#cli-evals tbody");
    head.innerHTML = ""; body.innerHTML = "";
    if (!evals.length) return;
    const described = ["step", "time", "split", "data", "count", "scored", "eval_features", "eval_count"];
    const metrics = [];
    for (const r of evals) for (const k in r) if (!described.includes(k) && typeof r[k] === "number" && !metrics.includes(k)) metrics.push(k);
    const cols = [["time (UTC)", (r) => typeof r.time === "string" ? r.time.replace("T", " ").replace("Z", "") : ""],
      ["checkpoint", (r) => r.step], ["split", (r) => r.split], ["images", (r) => r.count], ["scored", (r) => r.scored],
      ["features", (r) => r.eval_features]].concat(metrics.map((m) => [m, (r) => typeof r[m] === "number" ? fmt(r[m]) : ""]));
    const hr = document.createElement("tr");
    for (const [name] of cols) { const th = document.createElement("th"); th.textContent = name; hr.appendChild(th); }
    head.appendChild(hr);
    for (const r of evals) {
      const row = document.createElement("tr");
      for (const [, get] of cols) { const td = document.createElement("td"); const v = get(r); td.textContent = v === undefined || v === null ? "" : String(v); row.appendChild(td); }
      body.appendChild(row);
    }
  }

  function renderEval(ev, cliEvals) {
    renderCliEvals(cliEvals);
    $("eval-none").hidden = ev.length > 0 || cliEvals.length > 0;
    $("eval-table").hidden = ev.length === 0;
    const keys = [];
    for (const r of ev) for (const k in r) if (k !== "step" && k !== "time" && !keys.includes(k)) keys.push(k);
    const xs = ev.map((r) => r.step);
    for (const [id, k] of [["chart-fd", "fd"], ["chart-kid", "kid"]]) {
      const has = ev.some((r) => typeof r[k] === "number");
      $(id).hidden = !has;
      const feat = ev.length ? ev[ev.length - 1].eval_features : "";
      const name = k === "fd" ? (String(feat).startsWith("inception") ? "FID" : "FD") : (String(feat).startsWith("inception") ? "KID" : "KD");
      if (has) drawChart(id, xs, [{ label: name + (feat ? " (" + feat + ")" : ""), values: ev.map((r) => positive(r[k])), points: true }], { log: true, yLabel: name });
    }
    const head = document.querySelector("#eval-table thead"), body = document.querySelector("#eval-table tbody");
    head.innerHTML = ""; body.innerHTML = "";
    if (!ev.length) return;
    const hr = document.createElement("tr");
    for (const k of ["step"].concat(keys)) { const th = document.createElement("th"); th.textContent = k; hr.appendChild(th); }
    head.appendChild(hr);
    for (const r of ev.slice(-12)) {
      const row = document.createElement("tr");
      for (const k of ["step"].concat(keys)) { const td = document.createElement("td"); td.textContent = k === "step" ? r.step : fmt(r[k]); row.appendChild(td); }
      body.appendChild(row);
    }
  }

  function gridLabels(d) {
    if (!d.class_conditional || !d.num_classes) return null;
    const names = d.launch && Array.isArray(d.launch.class_names) ? d.launch.class_names : null;
    const out = [];
    for (let k = 0; k < d.num_classes; k++) out.push(names && names[k] !== undefined ? k + ": " + names[k] : "class " + k);
    return out;
  }

  // report.html lies in the run folder, so there a grid's path inside the run is its address
  function fileUrl(d, path, version) {
    return STATIC ? path : "file?run=" + encodeURIComponent(d.name) + "&path=" + encodeURIComponent(path) + "&v=" + version;
  }

  function renderGrids(d) {
    const grids = d.grids || [];
    const box = $("latest-grid"), thumbs = $("earlier-grids");
    if (!grids.length) { box.innerHTML = "<p class='dim'>No sample grid yet (one is drawn every --sample-every steps and at the end).</p>"; thumbs.innerHTML = ""; return; }
    const newest = grids[grids.length - 1];
    const g = grids.find((x) => x.step === shownGrid) || newest;
    const labels = gridLabels(d);
    const key = d.name + "|" + g.step + "|" + grids.length;
    if (box.dataset.key !== key) {
      box.dataset.key = key;
      box.innerHTML = "";
      const fig = document.createElement("figure");
      const view = document.createElement("div"); view.className = "gridview";
      if (labels) {
        const col = document.createElement("div"); col.className = "labels";
        for (const l of labels) { const s = document.createElement("span"); s.textContent = l; col.appendChild(s); }
        view.appendChild(col);
      }
      const img = document.createElement("img");
      img.src = fileUrl(d, g.file, g.step); img.alt = "EMA samples at step " + g.step; img.id = "grid-image";
      view.appendChild(img);
      const cap = document.createElement("figcaption");
      cap.id = "grid-caption";
      cap.textContent = (g === newest ? "latest: " : "") + "step " + g.step + " — " + (labels ? "one row per class, in label order" : "unconditional samples");
      fig.append(view, cap);
      box.appendChild(fig);
      thumbs.innerHTML = "";
      for (const t of grids) {
        const f = document.createElement("figure");
        if (t.step === g.step) f.className = "current";
        const im = document.createElement("img"); im.src = fileUrl(d, t.file, t.step); im.alt = "step " + t.step; im.loading = "lazy";
        const c = document.createElement("figcaption"); c.textContent = "step " + t.step;
        f.append(im, c);
        f.onclick = () => { shownGrid = t.step === newest.step ? null : t.step; box.dataset.key = ""; renderGrids(d); };
        thumbs.appendChild(f);
      }
    }
  }

  function renderInfo(d) {
    const l = d.launch || {};
    const rows = [
      ["folder", d.path],
      ["command", l.command || "n/a (no launches.jsonl: trained by an older version)"],
      ["version", l.version || "n/a"],
      ["device", d.device + (l.device && l.device !== d.device ? " (launch: " + l.device + ")" : "")],
      ["Java", l.java || "n/a"],
      ["host", l.host ? l.host + " (pid " + l.pid + ", started " + l.time + ")" : "n/a"],
      ["launches", String(d.launch_count)],
      ["viewer", "diffusion4j " + d.viewer_version + ", Java " + d.viewer_java],
    ];
    const b = document.querySelector("#info tbody");
    b.innerHTML = "";
    for (const [k, v] of rows) {
      const tr = document.createElement("tr");
      const th = document.createElement("th"); th.textContent = k;
      const td = document.createElement("td"); td.textContent = v;
      tr.append(th, td); b.appendChild(tr);
    }
    if ($("config").textContent !== d.config_text) $("config").textContent = d.config_text;
  }

  async function renderCompare() {
    const names = [...compare];
    $("compare-section").hidden = names.length < 2;
    if (names.length < 2) return;
    const loaded = [];
    for (const n of names) loaded.push([n, await loadRun(n)]);
    const steps = new Set();
    for (const [, c] of loaded) for (const r of trainingRows(c.rows)) steps.add(r.step);
    const xs = [...steps].sort((a, b) => a - b);
    const w = Number($("smoothing").value);
    drawChart("chart-compare", xs, loaded.map(([n, c], i) => {
      const tr = trainingRows(c.rows);
      const sm = smooth(tr.map((r) => positive(r.loss_avg)), w);
      const at = new Map(tr.map((r, j) => [r.step, sm[j]]));
      return { label: n, values: xs.map((x) => at.has(x) ? at.get(x) : null), color: COLORS[i % COLORS.length] };
    }), { log: true, yLabel: "loss", height: 300 });
  }

  // ---------------------------------------------------------------- the loop
  let busy = false;
  async function tick() {
    if (busy) return;
    busy = true;
    try {
      const list = await getJson("api/runs");
      refreshMs = list.refresh_ms || refreshMs;
      $("root").textContent = list.root;
      const names = list.runs.map((r) => r.name);
      if (!names.includes(selected)) selected = names[0] || null;
      if (compare.size === 0 && names.length > 1) names.forEach((n) => compare.add(n));
      for (const n of [...compare]) if (!names.includes(n)) compare.delete(n);
      renderRuns(list);
      if (selected) renderRun(await loadRun(selected));
      await renderCompare();
      $("conn").hidden = true;
      document.body.dataset.updated = String(Number(document.body.dataset.updated || 0) + 1);
    } catch (e) {
      $("conn").hidden = false;
      $("conn").textContent = "dashboard server not reachable (" + e.message + "); the training process may have ended. Showing the last data.";
    } finally {
      busy = false;
    }
  }
  const fromHash = /run=([^&]+)/.exec(location.hash);
  if (fromHash) selected = decodeURIComponent(fromHash[1]);
  $("smoothing").onchange = () => { for (const id in charts) { charts[id].plot.destroy(); delete charts[id]; } tick(); };
  window.addEventListener("resize", () => { for (const id in charts) { const el = $(id); charts[id].plot.setSize({ width: Math.max(320, el.clientWidth), height: charts[id].plot.height }); } });
  if (STATIC) {
    $("footer").textContent = "Static report written " + STATIC.written + " by diffusion4j " + (STATIC.run.viewer_version || "") +
      "; charts by uPlot (MIT), inlined. For the live view: diffuse dashboard " + STATIC.run.path;
    document.body.dataset.mode = "static";
    document.querySelector("header h1 .dim").textContent = "run report";
  }
  tick();
  if (!STATIC) setInterval(tick, refreshMs);
})();
