// Page form helpers. A static file: the pages allow no inline script.
// - <form data-confirm="question">: asked before the form is sent (an unlink cannot be taken
//   back by a click: the pair is not suggested again).
// - <input type="checkbox" data-select-all="FORM_ID">: ticks or clears every checkbox of the
//   form FORM_ID (rows tick into a form of their own with the form="…" attribute).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    var box = event.target;
    var formId = box && box.getAttribute && box.getAttribute("data-select-all");
    if (!formId) {
      return;
    }
    var rows = document.querySelectorAll('input[type="checkbox"][form="' + formId + '"]');
    Array.prototype.forEach.call(rows, function (row) {
      row.checked = box.checked;
    });
  });
})();
