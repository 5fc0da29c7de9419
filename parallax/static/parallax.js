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
  // reader is typing in a field. The counter says "change 3 of 14" ("change 1 of 2 reworded" when the page shows one
  // kind) and the URL keeps #c3, so a shared link opens there. Changes are the numbered rows; folds never hold one.
  // The change list's filters narrow the passages and the counter in place (without script they are links that
  // reload with ?kind=, and the page comes narrowed from the server); change numbers stay those of the whole list.
  function initReading() {
    var passages = document.getElementById("passages");
    if (!passages) return;
    var rows = Array.prototype.slice.call(passages.querySelectorAll(".px-srow:not(.px-srow--head), .px-irow"));
    var folds = passages.querySelectorAll(".px-fold");
    var counter = document.querySelector("[data-counter]");
    var text = counter && counter.querySelector(".px-counter-text");
    var narrowed = document.querySelector("[data-narrowed]");
    var links = document.querySelectorAll("[data-kind-filter]");
    var kind = new URLSearchParams(window.location.search).get("kind") || "";
    var label = (counter && counter.getAttribute("data-kind-label")) || "";
    var changes = [], marks = [], current = -1;
    var bar = document.createElement("div");
    bar.className = "px-marks";
    bar.setAttribute("aria-hidden", "true");

    function describe() {
      if (!text) return;
      var suffix = kind ? " " + label : "";
      if (current < 0) text.textContent = changes.length + (changes.length === 1 ? " change" : " changes") + (kind ? ", " + label : "");
      else text.textContent = "Change " + (current + 1) + " of " + changes.length + suffix;
    }
    function show(index, scroll) {
      current = index;
      changes.forEach(function (el) { el.classList.remove("px-current"); });
      marks.forEach(function (mark, n) { mark.classList.toggle("px-mark--current", n === index); });
      var target = changes[index];
      target.classList.add("px-current");
      target.focus({ preventScroll: true });
      if (scroll) target.scrollIntoView({ block: "center" });
      describe();
      if (window.history.replaceState) {
        window.history.replaceState(null, "", window.location.pathname + window.location.search + "#c" + target.getAttribute("data-n"));
      }
    }
    function go(step) {
      if (changes.length) show(Math.max(0, Math.min(changes.length - 1, current + step)), true);
    }
    // Marks along the scroll edge, one per change shown, placed at its share of the page height.
    function place() {
      var height = Math.max(document.documentElement.scrollHeight, 1);
      changes.forEach(function (el, n) {
        var top = el.getBoundingClientRect().top + window.scrollY;
        marks[n].style.top = (100 * top / height).toFixed(2) + "%";
      });
    }
    function narrow(chosen, chosenLabel) {
      kind = chosen;
      label = chosenLabel;
      rows.forEach(function (row) {
        row.hidden = Boolean(kind) && !(row.hasAttribute("data-change") && row.classList.contains("px-k-" + kind));
      });
      folds.forEach(function (fold) { fold.hidden = Boolean(kind); });
      document.querySelectorAll(".px-change-list li").forEach(function (item) {
        item.hidden = Boolean(kind) && item.getAttribute("data-kind") !== kind;
      });
      if (narrowed) {
        narrowed.hidden = !kind;
        narrowed.querySelector("[data-narrowed-kind]").textContent = label;
      }
      links.forEach(function (link) {
        if (!link.closest(".px-filters")) return;
        if (link.getAttribute("data-kind-filter") === kind) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
      });
      changes = rows.filter(function (row) { return row.hasAttribute("data-n") && !row.hidden; });
      current = -1;
      changes.forEach(function (el) { el.classList.remove("px-current"); });
      bar.textContent = "";
      marks = changes.map(function (el, n) {
        var mark = document.createElement("div");
        mark.className = "px-mark";
        mark.title = "Change " + el.getAttribute("data-n");
        mark.addEventListener("click", function () { show(n, true); });
        bar.appendChild(mark);
        return mark;
      });
      if (counter) counter.hidden = !changes.length;
      describe();
      place();
    }

    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        narrow(link.getAttribute("data-kind-filter"), link.getAttribute("data-kind-label") || "");
        if (window.history.replaceState) window.history.replaceState(null, "", link.getAttribute("href"));
      });
    });
    if (counter) {
      counter.addEventListener("click", function (event) {
        var button = event.target.closest("[data-step]");
        if (button) go(Number(button.getAttribute("data-step")));
      });
    }
    document.body.appendChild(bar);
    narrow(kind, label);
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
    initReading();
    initCopy();
    initPrint();
  });
})();
