// Parallax: progressive enhancements. Every page works without this file.
"use strict";

(function () {
  // Options form: an option chosen with the pointer reloads the same URL with the new parameters. Choices
  // made with the keyboard wait for Apply, so arrowing through a radio group does not reload at every step.
  function initOptions() {
    var form = document.querySelector("form[data-autosubmit]");
    if (!form) return;
    var hidden = form.querySelector("[data-ignore-value]");
    var boxes = form.querySelectorAll("[data-ignore]");
    var byPointer = false;
    function syncIgnore() {
      var chosen = [];
      boxes.forEach(function (box) { if (box.checked) chosen.push(box.value); });
      hidden.value = chosen.length ? chosen.join(",") : "none";
    }
    form.addEventListener("pointerdown", function () { byPointer = true; });
    form.addEventListener("keydown", function () { byPointer = false; });
    form.addEventListener("change", function () {
      syncIgnore();
      if (byPointer) form.submit();
    });
    form.addEventListener("submit", syncIgnore);
  }

  // Next / previous change with j/n and k/p, unless the reader is typing in a field.
  function initKeys() {
    var changes = Array.prototype.slice.call(document.querySelectorAll("[data-change]"))
      .filter(function (el) { return el.offsetParent !== null; });
    if (!changes.length) return;
    var current = -1;
    function go(step) {
      current = Math.max(0, Math.min(changes.length - 1, current + step));
      changes.forEach(function (el) { el.classList.remove("px-current"); });
      var target = changes[current];
      target.classList.add("px-current");
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "center" });
    }
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var tag = (event.target && event.target.tagName) || "";
      if (/^(INPUT|SELECT|TEXTAREA)$/.test(tag)) return;
      if (event.key === "j" || event.key === "n") { event.preventDefault(); go(1); }
      if (event.key === "k" || event.key === "p") { event.preventDefault(); go(-1); }
    });
  }

  // "Copy link" copies the page's stable URL; without clipboard access it still works as a link.
  function initCopy() {
    document.querySelectorAll("[data-copy-link]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var url = new URL(link.getAttribute("href"), window.location.href).href;
        var status = document.querySelector(".px-copied");
        if (!navigator.clipboard) return;
        event.preventDefault();
        navigator.clipboard.writeText(url).then(function () {
          if (status) status.textContent = "Link copied: " + url;
        }, function () {
          if (status) status.textContent = "Copy this link: " + url;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initOptions();
    initKeys();
    initCopy();
  });
})();
