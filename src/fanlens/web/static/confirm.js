// Asks before a form with data-confirm="question" is sent (an unlink cannot be taken back by a
// click: the pair is not suggested again). A static file: the pages allow no inline script.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
