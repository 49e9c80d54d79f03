// The nav's menu button on narrow screens. Loaded right after the header, so the menu is folded
// before the first paint; without this script the nav simply wraps and stays usable.
(function () {
  "use strict";
  var bar = document.querySelector(".topbar");
  var button = bar && bar.querySelector(".menu-toggle");
  if (!button) { return; }

  function show(open) {
    bar.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
  }

  bar.classList.add("foldable");
  button.addEventListener("click", function () { show(!bar.classList.contains("open")); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bar.classList.contains("open")) { show(false); button.focus(); }
  });
})();
