// Suggestions for the nav's search box: handles starting with what was typed, from
// /analytics/search/handles, offered through the input's <datalist>. Without this script the
// box works the same, just without suggestions.
(function () {
  "use strict";
  var input = document.querySelector(".nav-search input[name=q]");
  var list = document.getElementById("handle-list");
  if (!input || !list) { return; }
  var timer = 0;
  var asked = "";

  function fill(handles) {
    list.replaceChildren.apply(list, handles.map(function (handle) {
      var option = document.createElement("option");
      option.value = handle;
      return option;
    }));
  }

  function suggest() {
    var typed = input.value.trim().replace(/^@/, "");
    if (typed.length < 2 || typed === asked) { return; }
    asked = typed;
    fetch("/analytics/search/handles?q=" + encodeURIComponent(typed), {
      headers: { Accept: "application/json" }, redirect: "error",
    }).then(function (response) {
      return response.ok ? response.json() : { handles: [] };
    }).then(function (body) {
      if (asked === typed) { fill(body.handles); }
    }).catch(function () { /* suggestions are a help, never a requirement */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
})();
