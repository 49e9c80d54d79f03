// Draws every <div class="chart" data-chart="{...}"> with Plotly (served by fanlens itself).
// Kept in a static file: the pages' Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  var PLATFORM_COLORS = {
    youtube: "#d93025", bluesky: "#1185fe", mastodon: "#6364ff", tiktok: "#111827",
    instagram: "#c13584", x: "#374151", reddit: "#ff4500", facebook: "#1877f2"
  };
  var TIER_COLORS = {
    super_fan: "#7c3aed", active: "#059669", lurker: "#d97706", inactive: "#9ca3af"
  };
  var PALETTE = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2",
                 "#65a30d", "#dc2626", "#4b5563", "#9333ea", "#ea580c"];

  function colorFor(name, index) {
    return PLATFORM_COLORS[name] || TIER_COLORS[name] || PALETTE[index % PALETTE.length];
  }

  // Heat-map colours: exactly zero is a neutral grey, any other value a blue whose step follows
  // the square root of its share of spec.zmax (the largest value when not given), so a 2 % cell
  // stands apart from a 0 % one and from a 10 % one; values above zmax take the darkest blue.
  var ZERO = "#eef0f3";
  var BLUES = ["#dbeafe", "#bfdbfe", "#93c5fd", "#60a5fa", "#3b82f6", "#2563eb", "#1d4ed8", "#1e3a8a"];

  function sqrtColorscale() {
    var last = BLUES.length - 1;
    var scale = [[0, ZERO], [1e-6, BLUES[0]]];
    for (var k = 1; k <= last; k++) { scale.push([Math.pow(k / last, 2), BLUES[k]]); }
    return scale;
  }

  function largest(rows) {
    return rows.reduce(function (top, row) {
      return row.reduce(function (t, v) { return v !== null && v > t ? v : t; }, top);
    }, 0);
  }

  // A heat-map: spec.z is rows of values (null = no cell), spec.y the row labels; each cell shows
  // spec.cell_text (a Plotly text template) or spec.text; a click on a cell follows the link of
  // the same cell in the table whose id is spec.cell_links, when given: its body holds a row per
  // heat-map row, each cell a td[data-period] with its column's number (the page lists that
  // cell's people).
  function heatmap(spec) {
    var zmax = spec.zmax || largest(spec.z) || 1;
    return [{
      type: "heatmap", x: spec.x, y: spec.y, z: spec.z, text: spec.text || null,
      colorscale: sqrtColorscale(), zmin: 0, zmax: zmax, xgap: 1, ygap: 1, hoverongaps: false,
      colorbar: { thickness: 12, outlinewidth: 0, tickformat: spec.z_format || "" },
      hovertemplate: spec.hover || "%{y} · %{x}: %{z}<extra></extra>",
      texttemplate: spec.cell_text || (spec.text ? "%{text}" : undefined),
      textfont: { size: 11 }
    }];
  }

  // The narrowest a heat-map may get with its cell texts readable: below that its box scrolls.
  function heatmapMinWidth(spec) {
    var cells = (spec.cell_text_chars || 3) * 7 + 12;
    var labels = spec.y.reduce(function (w, y) { return Math.max(w, String(y).length); }, 0);
    return Math.max(28, cells) * spec.x.length + labels * 7 + 130;
  }

  function traces(spec) {
    if (spec.kind === "heatmap") { return heatmap(spec); }
    return spec.series.map(function (s, i) {
      var trace = { name: s.name, x: spec.x, y: s.y, hovertemplate: "%{x}: %{y:,}<extra>" + s.name + "</extra>" };
      if (spec.kind === "line") {
        trace.type = "scatter"; trace.mode = "lines+markers";
        trace.line = { color: colorFor(s.name, i), width: 2 };
      } else if (spec.kind === "step") {
        trace.type = "scatter"; trace.mode = "lines+markers+text";
        trace.line = { shape: "hv", color: "#7c3aed", width: 2 };
        trace.text = spec.labels || []; trace.textposition = "top center";
        trace.marker = { color: (spec.labels || []).map(function (t) { return TIER_COLORS[t] || "#7c3aed"; }), size: 9 };
      } else {
        trace.type = "bar";
        trace.marker = { color: spec.colors_by_x ? spec.x.map(colorFor) : colorFor(s.name, i) };
      }
      return trace;
    });
  }

  function layout(spec) {
    return {
      title: { text: spec.title, font: { size: 14 }, x: 0, xanchor: "left" },
      barmode: spec.kind === "stacked" ? "stack" : "group",
      margin: { l: 56, r: 16, t: 40, b: 40 },
      height: 300,
      showlegend: spec.series.length > 1,
      legend: { orientation: "h", y: -0.2 },
      yaxis: { title: { text: spec.y_title }, rangemode: "tozero", gridcolor: "#e5e7eb", automargin: true },
      xaxis: { gridcolor: "#f3f4f6", automargin: true },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", color: "#1f2937" }
    };
  }

  function draw(el) {
    var spec = JSON.parse(el.getAttribute("data-chart"));
    var frame = layout(spec);
    if (spec.kind === "heatmap") {
      frame.height = Math.max(300, 22 * spec.y.length + 110);
      frame.yaxis = { autorange: "reversed", type: "category", automargin: true,
                      title: { text: spec.y_title } };
      frame.xaxis = { type: "category", automargin: true, title: { text: spec.x_title || "" } };
      frame.showlegend = false;
      el.style.minWidth = heatmapMinWidth(spec) + "px";
    }
    window.Plotly.newPlot(el, traces(spec), frame, { displaylogo: false, responsive: true });
    if (spec.cell_links) {
      el.on("plotly_click", function (event) {
        var p = event.points[0];
        var row = document.getElementById(spec.cell_links).tBodies[0].rows[p.pointIndex[0]];
        var link = row && row.querySelector('td[data-period="' + p.pointIndex[1] + '"] a');
        if (link) { window.location.href = link.href; }
      });
    }
    el.setAttribute("data-drawn", "true");
  }

  function start() {
    if (!window.Plotly) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
