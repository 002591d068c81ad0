// Shows a question only when its show_if holds, evaluating the same parsed condition the
// server uses (app/definitions/conditions.py). Without JavaScript every question is shown
// with a note of when it applies, and the server ignores answers to hidden questions.
(function () {
  "use strict";
  var form = document.querySelector("form.definition-form");
  if (!form) { return; }

  function value(name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    if (!inputs.length) { return null; }
    var first = inputs[0];
    if (first.type === "radio") {
      var checked = form.querySelector('[name="' + name + '"]:checked');
      if (!checked) { return null; }
      return cast(checked.value);
    }
    if (first.type === "checkbox") {
      var list = [];
      inputs.forEach(function (input) { if (input.checked) { list.push(input.value); } });
      return list.length ? list : null;
    }
    return first.value === "" ? null : cast(first.value);
  }

  function cast(text) {
    if (text === "true") { return true; }
    if (text === "false") { return false; }
    if (/^-?\d+([.,]\d+)?$/.test(text)) { return Number(text.replace(",", ".")); }
    return text;
  }

  function present(v) { return !(v === null || v === "" || v === false || v === 0 || (Array.isArray(v) && !v.length)); }

  function operand(node) {
    if ("field" in node) { return value(node.field); }
    if ("value" in node) { return node.value; }
    if ("list" in node) { return node.list; }
    return evaluate(node);
  }

  function evaluate(node) {
    if ("field" in node) { return present(value(node.field)); }
    if ("value" in node) { return present(node.value); }
    var args = node.args;
    switch (node.op) {
      case "and": return args.every(evaluate);
      case "or": return args.some(evaluate);
      case "not": return !evaluate(args[0]);
    }
    var left = operand(args[0]), right = operand(args[1]);
    if (left === null || right === null) { return false; }
    switch (node.op) {
      case "in": return Array.isArray(left) ? left.some(function (v) { return right.indexOf(v) >= 0; }) : right.indexOf(left) >= 0;
      case "==": return Array.isArray(left) ? left.indexOf(right) >= 0 : left === right;
      case "!=": return Array.isArray(left) ? left.indexOf(right) < 0 : left !== right;
      case "<": return left < right;
      case "<=": return left <= right;
      case ">": return left > right;
      case ">=": return left >= right;
    }
    return false;
  }

  var conditional = Array.prototype.slice.call(form.querySelectorAll("[data-show-if]"));
  function refresh() {
    conditional.forEach(function (element) {
      element.hidden = !evaluate(JSON.parse(element.getAttribute("data-show-if")));
    });
  }
  form.classList.add("js-conditions");
  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  refresh();
}());
