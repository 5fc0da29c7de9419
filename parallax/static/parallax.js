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

  // Next / previous change with j/n and k/p (or the counter's buttons, or a mark on the scroll edge), unless the
  // reader is typing in a field. The counter says "change 3 of 14" and the URL keeps #c3, so a shared link opens
  // there. Changes are the numbered rows; folds never hold one.
  function initKeys() {
    var changes = Array.prototype.slice.call(document.querySelectorAll("[data-change][data-n]"));
    if (!changes.length) return;
    var current = -1;
    var counter = document.querySelector("[data-counter]");
    var text = counter && counter.querySelector(".px-counter-text");
    var marks = [];
    function show(index, scroll) {
      current = index;
      changes.forEach(function (el) { el.classList.remove("px-current"); });
      marks.forEach(function (mark, n) { mark.classList.toggle("px-mark--current", n === index); });
      var target = changes[index];
      target.classList.add("px-current");
      target.focus({ preventScroll: true });
      if (scroll) target.scrollIntoView({ block: "center" });
      if (text) text.textContent = "Change " + (index + 1) + " of " + changes.length;
      if (window.history.replaceState) window.history.replaceState(null, "", "#c" + target.getAttribute("data-n"));
    }
    function go(step) {
      show(Math.max(0, Math.min(changes.length - 1, current + step)), true);
    }
    if (counter) {
      counter.hidden = false;
      text.textContent = changes.length + (changes.length === 1 ? " change" : " changes");
      counter.addEventListener("click", function (event) {
        var button = event.target.closest("[data-step]");
        if (button) go(Number(button.getAttribute("data-step")));
      });
    }
    // Marks along the scroll edge, one per change, placed at its share of the page height.
    var bar = document.createElement("div");
    bar.className = "px-marks";
    bar.setAttribute("aria-hidden", "true");
    changes.forEach(function (el, n) {
      var mark = document.createElement("div");
      mark.className = "px-mark";
      mark.title = "Change " + (n + 1);
      mark.addEventListener("click", function () { show(n, true); });
      bar.appendChild(mark);
      marks.push(mark);
    });
    function place() {
      var height = Math.max(document.documentElement.scrollHeight, 1);
      changes.forEach(function (el, n) {
        var top = el.getBoundingClientRect().top + window.scrollY;
        marks[n].style.top = (100 * top / height).toFixed(2) + "%";
      });
    }
    document.body.appendChild(bar);
    place();
    window.addEventListener("resize", place);
    document.addEventListener("toggle", place, true);
    var opened = /^#c(\d+)$/.exec(window.location.hash);
    if (opened) {
      var index = changes.findIndex(function (el) { return el.getAttribute("data-n") === opened[1]; });
      if (index >= 0) show(index, true);
    }
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var tag = (event.target && event.target.tagName) || "";
      if (/^(INPUT|SELECT|TEXTAREA)$/.test(tag)) return;
      if (event.key === "j" || event.key === "n") { event.preventDefault(); go(1); }
      if (event.key === "k" || event.key === "p") { event.preventDefault(); go(-1); }
    });
  }

  // Change-list filters: without script they are links that reload with ?kind=; here they filter in place.
  function initFilters() {
    var links = document.querySelectorAll("[data-kind-filter]");
    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var kind = link.getAttribute("data-kind-filter");
        document.querySelectorAll(".px-change-list li").forEach(function (item) {
          item.hidden = Boolean(kind) && item.getAttribute("data-kind") !== kind;
        });
        links.forEach(function (other) {
          if (other === link) other.setAttribute("aria-current", "true");
          else other.removeAttribute("aria-current");
        });
        if (window.history.replaceState) window.history.replaceState(null, "", link.getAttribute("href"));
      });
    });
  }

  // Printing shows every passage: folds open for the print and close again after it.
  function initPrint() {
    var opened = [];
    window.addEventListener("beforeprint", function () {
      opened = Array.prototype.slice.call(document.querySelectorAll("details.px-fold:not([open])"));
      opened.forEach(function (fold) { fold.open = true; });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (fold) { fold.open = false; });
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
    initFilters();
    initPrint();
  });
})();
