// Small behaviours of every page, declared by data attributes, because the Content Security Policy allows
// no inline script and no on*= handler:
//   <form data-confirm="…"> or <button data-confirm="…">  asks before the form is sent;
//   <select data-autosubmit>                               sends its form when the choice changes;
//   <a data-back href="…">                                 goes back in history, else follows href.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target, button = event.submitter;
    var question = (button && button.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
