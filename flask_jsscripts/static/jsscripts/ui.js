/* flask-jsscripts UI glue (no build step, no dependencies besides htmx when present).
 * - Failed htmx requests (CSRF 400, 403, 404, 429, 5xx, network errors) show an accessible
 *   alert (role=alert) with the server's short message.
 * - 422 responses carry the form/fragment with the validation errors: swap them like a success.
 * Messages come from data-msg-* attributes of the .jsscripts wrapper (translated server-side).
 */
(function () {
  "use strict";

  function root() { return document.getElementById("jsscripts-root"); }

  function message(name, fallback) {
    var el = root();
    return (el && el.getAttribute("data-msg-" + name)) || fallback;
  }

  function showAlert(text) {
    var el = root();
    var box = el && el.querySelector("[data-jsscripts-alert]");
    if (!box) { window.alert(text); return; }
    box.textContent = "";
    var p = document.createElement("span");
    p.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "jsscripts-button";
    close.textContent = message("dismiss", "Dismiss");
    close.addEventListener("click", function () { box.hidden = true; box.textContent = ""; });
    box.appendChild(p);
    box.appendChild(close);
    box.hidden = false;
  }

  function hideAlert() {
    var el = root();
    var box = el && el.querySelector("[data-jsscripts-alert]");
    if (box && !box.hidden) { box.hidden = true; box.textContent = ""; }
  }

  function serverMessage(xhr) {
    var type = (xhr.getResponseHeader && xhr.getResponseHeader("Content-Type")) || "";
    var body = xhr.responseText || "";
    if (type.indexOf("text/plain") === 0 && body && body.length < 2000) return body.trim();
    if (type.indexOf("text/html") === 0 && body) {
      // A host error page: take its main text, briefly.
      var doc = new DOMParser().parseFromString(body, "text/html");
      var text = (doc.querySelector(".jsscripts-error-page p, p, h1") || {}).textContent || "";
      text = text.replace(/\s+/g, " ").trim();
      if (text && text.length < 500) return text;
    }
    return message("error", "The request failed (HTTP {status}).").replace("{status}", xhr.status);
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && xhr.status === 422) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  document.addEventListener("htmx:responseError", function (evt) {
    showAlert(serverMessage(evt.detail.xhr));
  });

  document.addEventListener("htmx:sendError", function () {
    showAlert(message("network", "The server could not be reached."));
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.successful && evt.detail.xhr && evt.detail.xhr.status < 400) hideAlert();
  });
})();
