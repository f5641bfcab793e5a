// Cascade's interactive charts. Builds one uPlot chart per figure described in the page's JSON
// block (#cascade-charts) inside its slot (the div of class uplot-slot naming the figure): drag
// across a chart to zoom into that span of x, double-click to zoom out, hover to read every
// series' value in the legend under the chart, click a legend entry to hide or show a series.
// The x axis is a run's time (UTC when the run has a start), a number (a swept parameter's
// value) or named columns (policies). Runs under the page's strict CSP: no request, no eval.
(function () {
  'use strict';
  var FONT = '"Cascade Sans", "DejaVu Sans", sans-serif';

  function shortAmount(v) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v), x = v, suf = '';
    if (a >= 1e12) { x = v / 1e12; suf = 'T'; }
    else if (a >= 1e9) { x = v / 1e9; suf = 'B'; }
    else if (a >= 1e6) { x = v / 1e6; suf = 'M'; }
    else if (a >= 1e4) { x = v / 1e3; suf = 'K'; }
    var t;
    if (suf) t = Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1);
    else if (a === 0) t = '0';
    else if (a >= 100) t = x.toFixed(0);
    else if (a >= 1) t = x.toFixed(2);
    else t = x.toFixed(4);
    if (t.indexOf('.') >= 0) t = t.replace(/0+$/, '').replace(/\.$/, '');
    return t + suf;
  }

  function rgba(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((n >> 16) & 255) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }

  function utc(sec) {
    return new Date(Math.round(sec * 1000)).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  }

  // UTC clock ticks, 24-hour: seconds shown once ticks are less than a minute apart.
  function clockTicks(u, splits, ax, space, incr) {
    return splits.map(function (s) {
      var t = new Date(Math.round(s * 1000)).toISOString();
      return incr < 60 ? t.slice(11, 19) : t.slice(11, 16);
    });
  }

  // The name of the column nearest to x on a categorical axis.
  function nearestTick(ticks, x) {
    var best = null;
    ticks.forEach(function (tk) { if (best == null || Math.abs(tk[0] - x) < Math.abs(best[0] - x)) best = tk; });
    return best ? best[1] : '';
  }

  // Crosses and triangles for marker series drawn with those shapes (uPlot draws circles).
  function shapePaths(shape) {
    return function (u, si, i0, i1) {
      var p = new Path2D(), xs = u.data[0], ys = u.data[si];
      var r = 5 * (uPlot.pxRatio || 1);
      for (var i = i0; i <= i1; i++) {
        if (ys[i] == null || xs[i] == null) continue;
        var x = u.valToPos(xs[i], 'x', true), y = u.valToPos(ys[i], 'y', true);
        if (shape === 'cross') {
          p.moveTo(x - r, y - r); p.lineTo(x + r, y + r);
          p.moveTo(x + r, y - r); p.lineTo(x - r, y + r);
        } else {
          p.moveTo(x, y - r); p.lineTo(x + r, y + 0.8 * r); p.lineTo(x - r, y + 0.8 * r); p.closePath();
        }
      }
      return { stroke: p, fill: shape === 'triangle' ? p : null, clip: null, flags: 0 };
    };
  }

  // A series' points with x values it repeats nudged apart by a billionth of the x span (at
  // least a trillionth of x, so the step is never lost to rounding), so each keeps its own row
  // when the series are joined on x (an interval's two ends share x).
  function distinctX(pts, span) {
    var seen = {};
    return pts.map(function (p) {
      var x = p[0];
      while (seen[x]) x += Math.max(span * 1e-9, Math.abs(x) * 1e-12, 1e-300);
      seen[x] = true;
      return [x, p[1]];
    });
  }

  function build(fig, slot) {
    var t = fig.time;
    var placed = !!(t && t.start_unix_ms != null);
    var ticks = fig.x_ticks || [];
    var categorical = ticks.length > 0;
    var toX = function (x) { return placed ? t.start_unix_ms / 1000 + x * t.ms_per_unit / 1000 : x; };
    var xSeries = {
      label: fig.x_label,
      value: function (u, v) {
        if (v == null) return '–';
        if (categorical) return nearestTick(ticks, v);
        return placed ? utc(v) : shortAmount(v) + (t ? ' ' + t.unit : '');
      }
    };
    var series = [xSeries];
    var bands = [];
    var data;
    if (fig.bars) {
      var edges = fig.bars.edges.map(toX);
      var n = edges.length - 1;
      var cum = [];
      for (var i = 0; i < n; i++) cum.push(0);
      var layers = fig.bars.stacks.map(function (s) {
        var own = [], top = [];
        for (var i = 0; i < n; i++) {
          var v = s.values[i] || 0;
          cum[i] += v;
          own.push(v);
          top.push(cum[i]);
        }
        own.push(null);
        top.push(n > 0 ? top[n - 1] : null);
        return { s: s, own: own, top: top };
      });
      data = [edges];
      // Stacked: each layer is drawn as its cumulative top, the highest first so the lower
      // ones paint over it; the legend shows the layer's own value.
      layers.slice().reverse().forEach(function (L) {
        data.push(L.top);
        series.push({
          label: L.s.name, stroke: L.s.color, fill: rgba(L.s.color, 0.9), width: 0,
          paths: uPlot.paths.stepped({ align: 1 }), points: { show: false },
          value: function (u, v, si, i) { return i == null || L.own[i] == null ? '–' : shortAmount(L.own[i]); }
        });
      });
    } else {
      var tables = [];
      var ok = function (p) { return p[0] != null && p[1] != null && isFinite(p[0]) && isFinite(p[1]); };
      (fig.bands || []).forEach(function (b) {
        var pts = b.points.filter(function (p) { return ok(p) && p[2] != null; });
        tables.push([pts.map(function (p) { return toX(p[0]); }), pts.map(function (p) { return p[2]; }),
          pts.map(function (p) { return p[1]; })]);
        var hi = series.length;
        var edge = function (which) {
          return { label: b.name + ' (' + which + ')', stroke: rgba(b.color, 0.6), width: 1, points: { show: false },
            spanGaps: true, value: function (u, v) { return shortAmount(v); } };
        };
        series.push(edge('upper'));
        series.push(edge('lower'));
        bands.push({ series: [hi, hi + 1], fill: rgba(b.color, 0.2) });
      });
      fig.lines.forEach(function (l) {
        var pts = l.points.filter(ok);
        tables.push([pts.map(function (p) { return toX(p[0]); }), pts.map(function (p) { return p[1]; })]);
        series.push({ label: l.name, stroke: l.color, width: 1.5, points: { show: false }, spanGaps: true,
          value: function (u, v) { return shortAmount(v); } });
      });
      var allX = [];
      fig.markers.forEach(function (m) { m.points.forEach(function (p) { allX.push(p[0]); }); });
      var xSpan = allX.length ? Math.max.apply(null, allX) - Math.min.apply(null, allX) || 1 : 1;
      fig.markers.forEach(function (m) {
        var pts = distinctX(m.points.filter(ok), xSpan);
        tables.push([pts.map(function (p) { return toX(p[0]); }), pts.map(function (p) { return p[1]; })]);
        var points = { show: true, size: 8, width: 0, fill: m.color, stroke: m.color };
        if (m.shape === 'cross' || m.shape === 'triangle') {
          points = { show: true, size: 10, width: 2, fill: m.color, stroke: m.color, paths: shapePaths(m.shape) };
        }
        series.push({ label: m.name, stroke: m.color, fill: m.color, width: 0, paths: function () { return null; },
          points: points, value: function (u, v) { return shortAmount(v); } });
      });
      data = tables.length ? uPlot.join(tables) : [[]];
    }
    // Numeric and categorical x: the data's extent padded so edge points sit inside the plot
    // (a zoom's own span is kept as asked).
    var xs = data[0].filter(function (x) { return x != null && isFinite(x); });
    var dLo = xs.length ? Math.min.apply(null, xs) : 0, dHi = xs.length ? Math.max.apply(null, xs) : 1;
    var xLo = dLo, xHi = dHi;
    if (categorical) {
      // Half a column beyond the first and last named columns (or the data, if wider).
      ticks.forEach(function (tk) { xLo = Math.min(xLo, tk[0] - 0.5); xHi = Math.max(xHi, tk[0] + 0.5); });
    }
    var xRange = function (u, min, max) {
      if (min == null || max == null) return [xLo, xHi];
      // The whole data (autoscale, or the double-click reset) gets the padding; a zoom does not.
      if (min > dLo || max < dHi) return [min, max];
      if (categorical) return [xLo, xHi];
      var pad = xHi > xLo ? (xHi - xLo) * 0.04 : Math.abs(xLo) * 0.1 || 1;
      return [xLo - pad, xHi + pad];
    };
    var fromZero = fig.y_from_zero;
    var opts = {
      title: fig.title,
      width: Math.max(300, slot.clientWidth),
      height: 360,
      series: series,
      bands: bands,
      legend: { live: true },
      cursor: { drag: { x: true, y: false }, points: { size: 7 } },
      scales: {
        x: t ? { time: placed } : { time: false, range: xRange },
        y: {
          range: function (u, min, max) {
            if (min == null || max == null) return [0, 1];
            if (fromZero) { min = Math.min(0, min); max = Math.max(0, max); }
            if (max - min <= Math.abs(max) * 1e-12) { var d = min !== 0 ? Math.abs(min) * 0.01 : 1; min -= d; max += d; }
            var pad = (max - min) * 0.06;
            return [fromZero && min >= 0 ? 0 : min - pad, fromZero && max <= 0 ? 0 : max + pad];
          }
        }
      },
      axes: [
        { label: fig.x_label, font: '13px ' + FONT, labelFont: '14px ' + FONT, labelSize: 24, stroke: '#333',
          grid: { stroke: '#eee' },
          values: placed ? clockTicks : categorical ? function (u, splits) {
            return splits.map(function (x) { return nearestTick(ticks, x); });
          } : function (u, splits) { return splits.map(shortAmount); } },
        { label: fig.y_label, font: '13px ' + FONT, labelFont: '14px ' + FONT, labelSize: 24, size: 64, stroke: '#333',
          grid: { stroke: '#eee' }, values: function (u, splits) { return splits.map(shortAmount); } }
      ]
    };
    if (categorical) {
      // One tick per named column in view.
      opts.axes[0].splits = function (u) {
        var lo = u.scales.x.min, hi = u.scales.x.max;
        return ticks.map(function (tk) { return tk[0]; }).filter(function (x) { return x >= lo && x <= hi; });
      };
    }
    if (placed) opts.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); };
    return new uPlot(opts, data, slot);
  }

  var figs = JSON.parse(document.getElementById('cascade-charts').textContent);
  var charts = [];
  var slots = document.querySelectorAll('.uplot-slot');
  for (var k = 0; k < slots.length; k++) {
    var slot = slots[k];
    var fig = figs[+slot.getAttribute('data-figure')];
    if (!fig) continue;
    slot.textContent = '';
    charts.push({ id: fig.id, fig: fig, u: build(fig, slot), slot: slot });
  }
  window.cascadeCharts = charts;
  var resize = function () {
    charts.forEach(function (c) {
      var w = Math.max(300, c.slot.clientWidth);
      if (Math.abs(w - c.u.width) > 1) c.u.setSize({ width: w, height: 360 });
    });
  };
  window.addEventListener('resize', resize);
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(function () { charts.forEach(function (c) { c.u.redraw(false, true); }); });
  }
})();
