/* The add page's multi-file upload: files are sent one request each, so a progress bar and a report row per file
   show as they are done. Without this script the form posts every file at once and the server answers with the
   whole report. Text from the server is set as text, never as markup. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-batch]");
  var panel = document.querySelector(".px-batch-progress");
  if (!form || !panel || !window.fetch || !window.FormData) { return; }
  var bar = panel.querySelector("progress");
  var status = panel.querySelector(".px-batch-status");
  var rows = panel.querySelector("tbody");
  var WORDS = { saved: "saved", duplicate: "duplicate", error: "error" };

  function cell(row, text, href) {
    var td = document.createElement("td");
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = text;
      td.appendChild(link);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function report(item) {
    var row = document.createElement("tr");
    row.className = "px-batch-" + item.status;
    cell(row, item.name);
    cell(row, WORDS[item.status] || item.status);
    if (item.status === "saved") { cell(row, item.id, item.href); }
    else if (item.status === "duplicate") { cell(row, "already in the story as " + item.id, item.href); }
    else { cell(row, item.error + (item.field ? " (field " + item.field + ")" : "")); }
    rows.appendChild(row);
  }

  function plural(count, word) { return count + " " + word + (count === 1 ? "" : "s"); }

  function said(counts, done, total) {
    return done + " of " + plural(total, "file") + ": " + counts.saved + " saved, " +
      plural(counts.duplicate, "duplicate") + ", " + plural(counts.error, "error");
  }

  function send(file) {
    var data = new FormData();
    ["csrf_token", "story", "new_story", "outlet"].forEach(function (name) {
      var field = form.elements[name];
      if (field) { data.append(name, field.value); }
    });
    data.append("files", file, file.name);
    return fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
                                headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.ok && body.items && body.items.length) { return body.items[0]; }
          return { name: file.name, status: "error", error: body.error || ("the server answered " + response.status) };
        });
      })
      .catch(function () { return { name: file.name, status: "error", error: "the server could not be reached" }; });
  }

  form.addEventListener("submit", function (event) {
    var files = Array.prototype.slice.call(form.elements.files.files);
    if (!files.length) { return; }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    rows.textContent = "";
    panel.hidden = false;
    bar.max = files.length;
    bar.value = 0;
    var counts = { saved: 0, duplicate: 0, error: 0 };
    status.textContent = said(counts, 0, files.length);
    files.reduce(function (previous, file, index) {
      return previous.then(function () {
        return send(file).then(function (item) {
          item.name = item.name || file.name;
          counts[item.status] = (counts[item.status] || 0) + 1;
          report(item);
          bar.value = index + 1;
          status.textContent = said(counts, index + 1, files.length);
        });
      });
    }, Promise.resolve()).then(function () {
      status.textContent = "Done. " + said(counts, files.length, files.length) + ".";
      button.disabled = false;
    });
  });
}());
