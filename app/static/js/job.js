// A job's page (a PDF report, a data package) follows its job without reloading itself,
// which would move the reader back to the top every few seconds: the page is read again
// every two seconds, its status updated in place (a live region, so screen readers say
// it) and, once the job is over, its result (the download) shown. Without JavaScript the
// page refreshes itself instead (<noscript> in its head).
(function () {
  "use strict";
  var job = document.querySelector("[data-job-follow]");
  if (!job || !window.fetch || !window.DOMParser) { return; }

  function replace(selector, fresh) {
    var current = job.querySelector(selector), next = fresh.querySelector(selector);
    if (current && next) { current.replaceWith(document.importNode(next, true)); }
  }

  function poll() {
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-job]");
        if (!fresh) { return; }
        var status = job.querySelector("[role=status]"), next = fresh.querySelector("[role=status]");
        if (status && next && status.textContent !== next.textContent) {
          status.textContent = next.textContent;
        }
        replace(".job-result", fresh);
        if (fresh.hasAttribute("data-job-follow")) {
          window.setTimeout(poll, 2000);
        } else {
          job.removeAttribute("data-job-follow");
        }
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 2000);
}());
