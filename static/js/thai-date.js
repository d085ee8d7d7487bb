// The calendar picker of the Thai date inputs (kpi_agreements/core/dates.py): B.E. years, month and day names
// and labels sent by the server in data-picker, the allowed range in data-min/data-max (ISO). It only fills in
// the text input, so without JavaScript the input alone still takes วว/ดด/ปปปป.
(function () {
  "use strict";
  var BE = 543;
  var current = null; // {input, toggle, box, labels, min, max, month}

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function iso(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function thai(d) { return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + (d.getFullYear() + BE); }
  function day(y, m, d) {
    var date = new Date(y, m, d);
    return date.getMonth() === ((m % 12) + 12) % 12 ? date : null;
  }
  function fromIso(text) {
    var p = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    return p ? day(+p[1], p[2] - 1, +p[3]) : null;
  }
  // The server's rule: a four-digit year from 2400 is B.E., below it C.E.
  function parse(text) {
    text = (text || "").replace(/[๐-๙]/g, function (c) { return c.charCodeAt(0) - 0x0e50; }).trim();
    var p = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$/.exec(text);
    var y, m, d;
    if (p) { d = +p[1]; m = +p[2]; y = +p[3]; } else {
      p = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
      if (!p) return null;
      y = +p[1]; m = +p[2]; d = +p[3];
    }
    if (y >= 2400) y -= BE;
    return m >= 1 && m <= 12 ? day(y, m - 1, d) : null;
  }
  function firstOfMonth(d) { return new Date(d.getFullYear(), d.getMonth(), 1); }
  function allowed(d) { return (!current.min || d >= current.min) && (!current.max || d <= current.max); }

  function button(label, text, step) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm btn-link text-decoration-none px-2";
    b.setAttribute("aria-label", label);
    b.textContent = text;
    b.dataset.step = step;
    return b;
  }

  function render(focusDate) {
    var c = current, labels = c.labels, month = c.month;
    var year = month.getFullYear(), m = month.getMonth();
    var box = c.box;
    box.textContent = "";
    box.dataset.month = year + "-" + pad(m + 1);
    var head = document.createElement("div");
    head.className = "d-flex align-items-center justify-content-between border-bottom px-1";
    var caption = document.createElement("div");
    caption.className = "fw-bold small";
    caption.setAttribute("aria-live", "polite");
    caption.textContent = labels.caption.replace("%(month)s", labels.months[m]).replace("%(year)s", year + BE);
    var steps = [
      button(labels.prevYear, "«", -12), button(labels.prevMonth, "‹", -1),
      caption,
      button(labels.nextMonth, "›", 1), button(labels.nextYear, "»", 12),
    ];
    steps.forEach(function (el) {
      if (el.dataset.step) {
        var step = +el.dataset.step;
        var target = new Date(year, m + step, 1);
        var last = new Date(year, m + step + 1, 0);
        el.disabled = (c.max && target > c.max) || (c.min && last < c.min);
      }
      head.appendChild(el);
    });
    box.appendChild(head);

    var table = document.createElement("table");
    table.className = "table table-sm table-borderless text-center mb-0";
    var row = table.createTHead().insertRow();
    labels.weekdays.forEach(function (name) {
      var th = document.createElement("th");
      th.scope = "col";
      th.className = "small text-body-secondary fw-normal";
      th.textContent = name;
      row.appendChild(th);
    });
    var body = table.createTBody();
    var selected = parse(c.input.value), today = new Date();
    var cell = 0, start = month.getDay(), count = new Date(year, m + 1, 0).getDate();
    row = body.insertRow();
    for (; cell < start; cell++) row.insertCell();
    for (var d = 1; d <= count; d++, cell++) {
      if (cell && cell % 7 === 0) row = body.insertRow();
      var date = new Date(year, m, d);
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-sm w-100 px-0 " + (selected && iso(selected) === iso(date) ? "btn-primary" : "btn-light");
      if (iso(date) === iso(today)) b.classList.add("fw-bold", "text-decoration-underline");
      b.textContent = d;
      b.dataset.date = iso(date);
      b.setAttribute("aria-label", d + " " + caption.textContent);
      b.disabled = !allowed(date);
      b.tabIndex = -1;
      row.insertCell().appendChild(b);
    }
    box.appendChild(table);
    var days = box.querySelectorAll("[data-date]:not(:disabled)");
    var focus = (focusDate && box.querySelector("[data-date='" + iso(focusDate) + "']:not(:disabled)")) ||
      box.querySelector(".btn-primary[data-date]:not(:disabled)") || days[0];
    if (focus) focus.tabIndex = 0;
    return focus;
  }

  function place() {
    var r = current.input.getBoundingClientRect(), box = current.box;
    var left = Math.max(8, Math.min(r.left, document.documentElement.clientWidth - box.offsetWidth - 8));
    box.style.left = left + window.scrollX + "px";
    box.style.top = r.bottom + window.scrollY + 4 + "px";
  }

  function close(refocus) {
    if (!current) return;
    var c = current;
    current = null;
    c.box.remove();
    c.toggle.setAttribute("aria-expanded", "false");
    if (refocus) c.input.focus();
  }

  function openFor(input, toggle) {
    close(false);
    var box = document.createElement("div");
    box.className = "thai-date-picker card shadow p-1";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", toggle.getAttribute("aria-label"));
    current = {
      input: input, toggle: toggle, box: box,
      labels: JSON.parse(input.dataset.picker),
      min: fromIso(input.dataset.min), max: fromIso(input.dataset.max),
    };
    var start = parse(input.value) || new Date();
    if (current.min && start < current.min) start = current.min;
    if (current.max && start > current.max) start = current.max;
    current.month = firstOfMonth(start);
    box.addEventListener("click", onClick);
    box.addEventListener("keydown", onKey);
    document.body.appendChild(box);
    var focus = render(start);
    place();
    toggle.setAttribute("aria-expanded", "true");
    if (focus) focus.focus();
  }

  function show(date) {
    current.month = firstOfMonth(date);
    var focus = render(date);
    if (focus) focus.focus();
  }

  function onClick(event) {
    var b = event.target.closest("button");
    if (!b || b.disabled) return;
    if (b.dataset.date) {
      var input = current.input;
      input.value = thai(fromIso(b.dataset.date));
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
      close(true);
    } else {
      var m = current.month;
      current.month = new Date(m.getFullYear(), m.getMonth() + +b.dataset.step, 1);
      render();
      (current.box.querySelector("[data-step='" + b.dataset.step + "']:not(:disabled)") ||
        current.box.querySelector("[data-date][tabindex='0']")).focus();
    }
  }

  var MOVES = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
  function onKey(event) {
    if (event.key === "Escape") { event.preventDefault(); close(true); return; }
    var from = event.target.dataset && event.target.dataset.date;
    if (from && MOVES[event.key]) {
      event.preventDefault();
      var d = fromIso(from);
      var next = new Date(d.getFullYear(), d.getMonth(), d.getDate() + MOVES[event.key]);
      if (allowed(next)) show(next);
    }
  }

  document.addEventListener("mousedown", function (event) {
    if (current && !current.box.contains(event.target) && !current.toggle.contains(event.target)) close(false);
  });
  window.addEventListener("resize", function () { if (current) place(); });

  function setUp(root) {
    root.querySelectorAll("input[data-thai-date]:not(.thai-date-ready)").forEach(function (input) {
      var labels = JSON.parse(input.dataset.picker);
      var toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "btn btn-outline-secondary thai-date-toggle";
      toggle.setAttribute("aria-label", labels.open);
      toggle.title = labels.open;
      toggle.setAttribute("aria-haspopup", "dialog");
      toggle.setAttribute("aria-expanded", "false");
      toggle.innerHTML = '<svg aria-hidden="true" width="16" height="16" viewBox="0 0 16 16" fill="currentColor">' +
        '<path d="M3.5 0a.5.5 0 0 1 .5.5V1h8V.5a.5.5 0 0 1 1 0V1h1a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H2a2 2 0 0 1-2-2V3' +
        'a2 2 0 0 1 2-2h1V.5a.5.5 0 0 1 .5-.5M1 4v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V4z"/>' +
        '<path d="M4 7h2v2H4zm3 0h2v2H7zm3 0h2v2h-2zM4 10h2v2H4zm3 0h2v2H7z"/></svg>';
      toggle.addEventListener("click", function () {
        if (current && current.input === input) close(true); else openFor(input, toggle);
      });
      var group = document.createElement("div");
      group.className = "thai-date-group";
      input.classList.add("thai-date-ready");
      input.insertAdjacentElement("beforebegin", group);
      group.append(input, toggle);
    });
  }
  setUp(document);
  // Forms swapped in by htmx get their pickers too.
  document.body.addEventListener("htmx:afterSwap", function (event) { setUp(event.detail.elt.parentNode || document); });
})();
