// Where the focus goes when a page opens after a form was sent. A form with errors puts
// the focus on its error summary, whose links move it to the fields (a group's first
// option); a form without a summary puts it on its first field in error; otherwise the
// page's message (saved, refused, signed out) takes it, so that a screen reader reads it.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest('a[href^="#"]');
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      var control = target.matches("input, select, textarea") ? target :
        target.querySelector("input:checked, input, select, textarea");
      if (!control) { return; }
      event.preventDefault();
      (target.closest(".question, .field") || target).scrollIntoView();
      control.focus({preventScroll: true});
    });
    summary.focus();
    return;
  }
  // A form with errors but no summary: its first field in error, which names its error.
  var invalid = document.querySelector("main [aria-invalid=true]");
  if (invalid) {
    invalid.focus();
    return;
  }
  var message = document.querySelector(".messages .message");
  if (!message) { return; }
  // After the page has loaded: opening at a #fragment clears the focus before that. The
  // view stays at the fragment (the wave of a form just sent), the focus on the message.
  window.addEventListener("load", function () {
    if (document.activeElement === document.body || !document.activeElement) {
      message.focus({preventScroll: Boolean(location.hash)});
    }
  });
}());
