/* The workshop slides' own script, loaded from a file: the server's Content-Security-Policy
   allows no inline script. A stub for MathJax, which Voila's reveal script asks on each slide
   change (no maths here); Voila's helpers are the patient template's voila-helpers.js. */
(function () {
  'use strict';
  window.MathJax = window.MathJax || {
    Hub: { getAllJax: function () { return false; }, Rerender: function () {} }
  };
})();
