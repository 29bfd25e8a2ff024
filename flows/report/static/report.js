/* regiescan report: sortable and filterable tables. Inlined into every page; it reads
   only the page's own text and attributes and never writes markup (textContent only). */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "nl";
  function sortValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var value = cell.getAttribute("data-sort");
    return value === null ? cell.textContent.trim() : value;
  }
  function sortBy(table, th, index) {
    var type = th.getAttribute("data-type") || "text";
    var direction = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var sign = direction === "ascending" ? 1 : -1;
    Array.prototype.forEach.call(th.parentNode.cells, function (cell) { cell.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", direction);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortValue(a, index), y = sortValue(b, index);
      if (type === "num") {
        var nx = parseFloat(x), ny = parseFloat(y);
        var mx = isNaN(nx), my = isNaN(ny);
        if (mx || my) { return mx === my ? 0 : (mx ? 1 : -1); } /* missing values last */
        return sign * (nx - ny);
      }
      return sign * x.localeCompare(y, lang, { sensitivity: "base", numeric: true });
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead || !table.tHead.rows.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = th.querySelector("button.sort");
      if (button) { button.addEventListener("click", function () { sortBy(table, th, index); }); }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("form[data-filter-table]"), function (form) {
    var table = document.getElementById(form.getAttribute("data-filter-table"));
    if (!table) { return; }
    var search = form.querySelector("input[type=search]");
    var select = form.querySelector("select");
    var status = form.querySelector("[data-filter-status]");
    function apply() {
      var query = search ? search.value.trim().toLowerCase() : "";
      var category = select ? select.value : "";
      var rows = table.tBodies[0].rows, shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var haystack = (row.getAttribute("data-search") || row.textContent).toLowerCase();
        var visible = (!query || haystack.indexOf(query) !== -1) &&
          (!category || row.getAttribute("data-category") === category);
        row.hidden = !visible;
        if (visible) { shown++; }
      }
      if (status) {
        status.textContent = (status.getAttribute("data-template") || "{shown}/{total}")
          .replace("{shown}", String(shown)).replace("{total}", String(rows.length));
      }
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    apply();
  });
})();
