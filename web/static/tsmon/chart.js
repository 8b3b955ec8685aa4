// Read a chart closely: a cursor and a read-out of the time, the value, the
// expected value and its band under the mouse; and, on charts inside a
// [data-chart-zoom] element, drag across the plot to show that time range.
// The data comes from the figure's JSON block (tsmon/charts.py,
// chart_readout); the SVG is drawn by the server and works without this.
// Events are listened for on the document, so a chart that live.js swaps
// in is read as soon as the mouse is over it: there is nothing to re-attach.
(function () {
  "use strict";
  var MIN_DRAG_PX = 8; // a shorter drag is a click (or a shaky hand), not a zoom
  var SUFFIXES = { percent: "%", seconds: " s", bytes: " B" };
  var PREFIXES = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  var parsed = new WeakMap(); // data block -> its parsed JSON
  var drag = null; // {area, data, x0} while the mouse button is down on a zoomable plot

  // The significant digits of |x| rounded half-to-even, as Python's "%g" rounds
  // (toExponential(99) gives the binary value's exact leading digits).
  function roundDigits(x, precision) {
    var parts = Math.abs(x).toExponential(99).split("e");
    var digits = parts[0].replace(".", "");
    var exponent = Number(parts[1]);
    var head = digits.slice(0, precision);
    var rest = digits.slice(precision);
    var odd = Number(head.charAt(precision - 1)) % 2 === 1;
    if (rest.charAt(0) > "5" || (rest.charAt(0) === "5" && (/[1-9]/.test(rest.slice(1)) || odd))) {
      head = String(Number(head) + 1);
      if (head.length > precision) {
        head = head.slice(0, precision);
        exponent += 1;
      }
    }
    return { digits: head, exponent: exponent };
  }

  function stripZeros(text) {
    return text.indexOf(".") < 0 ? text : text.replace(/0+$/, "").replace(/\.$/, "");
  }

  // Python's "%.3g" % x.
  function general(x, precision) {
    if (x === 0) return Object.is(x, -0) ? "-0" : "0";
    var sign = x < 0 ? "-" : "";
    var r = roundDigits(x, precision);
    var d = r.digits;
    var e = r.exponent;
    if (e < -4 || e >= precision) {
      var mantissa = stripZeros(d.charAt(0) + "." + d.slice(1));
      var power = String(Math.abs(e));
      return sign + mantissa + "e" + (e < 0 ? "-" : "+") + (power.length < 2 ? "0" + power : power);
    }
    if (e < 0) return sign + stripZeros("0." + "0".repeat(-e - 1) + d);
    return sign + stripZeros(d.slice(0, e + 1) + "." + d.slice(e + 1));
  }

  // As tsmon.charts.format_value: 3 significant digits, SI prefixes, the unit.
  function formatValue(value, unit) {
    if (value === null || value === undefined || !isFinite(value)) return "–";
    var known = Object.prototype.hasOwnProperty.call(SUFFIXES, unit);
    var suffix = known ? SUFFIXES[unit] : unit ? " " + unit : "";
    for (var i = 0; i < PREFIXES.length; i++) {
      if (Math.abs(value) >= PREFIXES[i][0]) return general(value / PREFIXES[i][0], 3) + PREFIXES[i][1] + suffix;
    }
    return general(value, 3) + suffix;
  }

  // "YYYY-MM-DD HH:MM" (":SS" for buckets under a minute) in the chart's zone.
  function formatTime(ms, zone, withSeconds) {
    var options = {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit",
    };
    if (withSeconds) options.second = "2-digit";
    var part = {};
    new Intl.DateTimeFormat("en-US", options).formatToParts(new Date(ms)).forEach(function (p) {
      part[p.type] = p.value;
    });
    var clock = part.hour + ":" + part.minute + (withSeconds ? ":" + part.second : "");
    return part.year + "-" + part.month + "-" + part.day + " " + clock;
  }

  function chartData(area) {
    var block = area.parentNode.querySelector("script.chart-readout-data");
    if (!block) return null;
    if (!parsed.has(block)) parsed.set(block, JSON.parse(block.textContent));
    return parsed.get(block);
  }

  // Where the mouse is, as a fraction of the plot's width (0 = left edge).
  function fractionAt(area, event) {
    var box = area.getBoundingClientRect();
    return Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  }

  function timeAt(data, fraction) {
    return data.x.t0_ms + fraction * (data.x.t1_ms - data.x.t0_ms);
  }

  function percentX(data, ms) {
    return ((ms - data.x.t0_ms) / (data.x.t1_ms - data.x.t0_ms)) * 100;
  }

  function percentY(data, value) {
    return (1 - (value - data.y.v0) / (data.y.v1 - data.y.v0)) * 100;
  }

  // The index of the time nearest `ms` (times are sorted).
  function nearest(times, ms) {
    var lo = 0;
    var hi = times.length - 1;
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (times[mid] <= ms) lo = mid;
      else hi = mid;
    }
    return Math.abs(times[hi] - ms) < Math.abs(times[lo] - ms) ? hi : lo;
  }

  function overlay(area, name) {
    var element = area.querySelector(".chart-" + name);
    if (!element) {
      element = document.createElement("div");
      element.className = "chart-" + name;
      element.setAttribute("data-testid", "chart-" + name);
      element.setAttribute("aria-hidden", "true");
      area.appendChild(element);
    }
    element.hidden = false;
    return element;
  }

  function hideOverlays(area) {
    area.querySelectorAll(".chart-cursor, .chart-dot, .chart-readout").forEach(function (element) {
      element.hidden = true;
    });
  }

  function line(box, name, label, text) {
    var row = document.createElement("div");
    row.className = "readout-" + name;
    row.setAttribute("data-readout", name);
    var key = document.createElement("span");
    key.className = "muted";
    key.textContent = label ? label + " " : "";
    var value = document.createElement("span");
    value.className = "readout-text";
    value.textContent = text;
    row.appendChild(key);
    row.appendChild(value);
    box.appendChild(row);
    return row;
  }

  function fillReadout(box, data, i) {
    var unit = data.unit;
    box.textContent = "";
    line(box, "time", "", formatTime(data.t[i], data.tz, data.step_ms < 60000) + " " + data.tz);
    var hasValue = data.value.some(function (v) { return v !== null; });
    if (hasValue || !data.lines.length) line(box, "value", "value", formatValue(data.value[i], unit));
    data.lines.forEach(function (series, n) {
      var row = line(box, "line-" + n, series.label, formatValue(series.value[i], unit));
      row.style.setProperty("--value", series.colour);
      row.classList.add("readout-line");
    });
    if (data.min && data.min[i] !== null && data.min[i] !== data.max[i]) {
      line(box, "range", "min–max", formatValue(data.min[i], unit) + " – " + formatValue(data.max[i], unit));
    }
    if (data.band && data.band[i] !== null) {
      if (data.expected[i] !== null) line(box, "expected", "expected", formatValue(data.expected[i], unit));
      line(box, "band", "band", formatValue(data.lo[i], unit) + " – " + formatValue(data.hi[i], unit));
      line(box, "band-name", "", data.bands[data.band[i]]);
    }
  }

  function showReadout(area, data, event) {
    if (!data.t.length) return;
    var i = nearest(data.t, timeAt(data, fractionAt(area, event)));
    var x = percentX(data, data.t[i]);
    overlay(area, "cursor").style.left = x + "%";
    var dot = overlay(area, "dot");
    var shown = data.value[i] !== null ? data.value[i] : data.expected ? data.expected[i] : null;
    dot.hidden = shown === null;
    if (shown !== null) {
      dot.style.left = x + "%";
      dot.style.top = percentY(data, shown) + "%";
    }
    var box = overlay(area, "readout");
    fillReadout(box, data, i);
    // Beside the cursor, on the side with room.
    box.style.left = x < 60 ? "calc(" + x + "% + 12px)" : "";
    box.style.right = x < 60 ? "" : "calc(" + (100 - x) + "% + 12px)";
  }

  function showSelection(area, from, to) {
    var selection = overlay(area, "selection");
    selection.style.left = Math.min(from, to) * 100 + "%";
    selection.style.width = Math.abs(to - from) * 100 + "%";
  }

  // Show [start, end] (epoch ms): the same page, with the time picker's parameters.
  // Whole minutes (whole seconds for a selection under ten minutes) widen the
  // selection a little and keep the server's buckets on round times.
  function zoomTo(startMs, endMs) {
    var unit = endMs - startMs >= 600000 ? 60000 : 1000;
    var url = new URL(window.location.href);
    url.searchParams.delete("range");
    url.searchParams.set("start", isoTime(Math.floor(startMs / unit) * unit));
    url.searchParams.set("end", isoTime(Math.ceil(endMs / unit) * unit));
    window.location.assign(url.toString());
  }

  function isoTime(ms) {
    return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
  }

  // End the drag: hide its selection; the fraction it began at.
  function endDrag() {
    var area = drag.area;
    var x0 = drag.x0;
    drag = null;
    area.classList.remove("dragging");
    var selection = area.querySelector(".chart-selection");
    if (selection) selection.hidden = true;
    return x0;
  }

  function finishDrag(event) {
    var area = drag.area;
    var data = drag.data;
    var x0 = endDrag();
    var x1 = fractionAt(area, event);
    if (Math.abs(x1 - x0) * area.getBoundingClientRect().width < MIN_DRAG_PX) return;
    // Only the range the page can show: the future past `end` holds forecasts, not points.
    var startMs = Math.max(data.start_ms, timeAt(data, Math.min(x0, x1)));
    var endMs = Math.min(data.end_ms, timeAt(data, Math.max(x0, x1)));
    if (endMs - startMs >= 1000) zoomTo(startMs, endMs);
  }

  function plotArea(target) {
    var area = target instanceof Element ? target.closest(".plot-area") : null;
    return area && chartData(area) ? area : null;
  }

  document.addEventListener("mousemove", function (event) {
    if (drag) {
      showSelection(drag.area, drag.x0, fractionAt(drag.area, event));
    }
    var area = plotArea(event.target);
    if (area) showReadout(area, chartData(area), event);
  });

  document.addEventListener("mouseout", function (event) {
    var area = plotArea(event.target);
    if (area && !(event.relatedTarget instanceof Node && area.contains(event.relatedTarget))) {
      hideOverlays(area);
    }
  });

  document.addEventListener("mousedown", function (event) {
    var area = plotArea(event.target);
    if (!area || event.button !== 0 || !area.closest("[data-chart-zoom]")) return;
    event.preventDefault(); // no text selection while dragging
    drag = { area: area, data: chartData(area), x0: fractionAt(area, event) };
    area.classList.add("dragging");
  });

  document.addEventListener("mouseup", function (event) {
    if (drag) finishDrag(event);
  });

  document.addEventListener("keydown", function (event) {
    if (drag && event.key === "Escape") endDrag(); // changed one's mind: no zoom
  });

  // For other scripts and for the browser test of the formats.
  window.tsmonCharts = { formatValue: formatValue, formatTime: formatTime };
})();
