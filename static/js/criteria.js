// Show only the criteria of the chosen method. Hidden fieldsets keep what was typed, so switching method
// and back loses nothing; without JavaScript every fieldset stays visible and the form still works.
(function () {
  function sync(form) {
    var method = form.querySelector("[name=method], [name$='-method']").value;
    form.querySelectorAll("fieldset.criteria").forEach(function (fs) {
      fs.hidden = fs.dataset.method !== method;
    });
  }
  function setUp(root) {
    root.querySelectorAll("form.criteria-form").forEach(function (form) {
      sync(form);
      form.querySelector("[name=method], [name$='-method']").addEventListener("change", function () { sync(form); });
    });
  }
  setUp(document);
  // Content swapped in by htmx gets the same treatment.
  document.body.addEventListener("htmx:afterSwap", function (event) { setUp(event.detail.elt.parentNode || document); });
})();
