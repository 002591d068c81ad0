// The status grid: the arrow keys move between the cells' links (Tab and Shift+Tab move
// through them as well, without this script). Home and End go to the row's first and last.
(function () {
  "use strict";
  document.querySelectorAll("table[data-grid]").forEach(function (table) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    function linkAt(row, column) {
      var cell = rows[row] && rows[row].cells[column];
      return cell ? cell.querySelector("a") : null;
    }
    function find(row, column, rowStep, columnStep) {
      // The next cell in the direction that holds a link (a family without an exit wave
      // has an empty cell there).
      for (;;) {
        row += rowStep;
        column += columnStep;
        if (row < 0 || row >= rows.length || column < 0 || column >= rows[row].cells.length) {
          return null;
        }
        var link = linkAt(row, column);
        if (link) { return link; }
      }
    }
    table.addEventListener("keydown", function (event) {
      var link = event.target.closest("a");
      if (!link || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      var cell = link.closest("td, th");
      var row = rows.indexOf(cell.parentElement);
      var column = cell.cellIndex;
      if (row < 0) { return; }
      var steps = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
      var target = null;
      if (steps[event.key]) {
        target = find(row, column, steps[event.key][0], steps[event.key][1]);
      } else if (event.key === "Home") {
        target = find(row, -1, 0, 1);
      } else if (event.key === "End") {
        target = find(row, rows[row].cells.length, 0, -1);
      } else {
        return;
      }
      event.preventDefault();
      if (target) { target.focus(); }
    });
  });
})();
