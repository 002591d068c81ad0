// Keeps the box "not for external contact persons" in step with the life area chosen,
// until the user ticks or unticks it themselves. Without the script the server applies
// the same rule (goals in the children's areas are hidden).
(function () {
  document.querySelectorAll("input[data-child-areas]").forEach(function (box) {
    var form = box.form;
    var area = form.querySelector("select[name=life_area]");
    var chosen = form.querySelector("input[name=visibility_chosen]");
    var childAreas = box.getAttribute("data-child-areas").split(" ");
    var touched = false;
    if (!area || !chosen) return;
    chosen.value = "1";
    function follow() {
      if (!touched) box.checked = childAreas.indexOf(area.value) !== -1;
    }
    box.addEventListener("change", function () { touched = true; });
    area.addEventListener("change", follow);
    if (!box.hasAttribute("data-keep")) follow();
  });
})();
