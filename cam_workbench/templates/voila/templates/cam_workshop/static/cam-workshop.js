/* The workshop slides' own script, loaded from a file: the server's Content-Security-Policy
   allows no inline script. Voila's helper functions (its template has them inline), and a
   stub for MathJax, which Voila's reveal script asks on each slide change (no maths here). */
(function () {
  'use strict';
  window.MathJax = window.MathJax || {
    Hub: { getAllJax: function () { return false; }, Rerender: function () {} }
  };
  window.voila_heartbeat = function () {};
  window.update_loading_text = function () {};
  window.display_cells = function () {
    if (!window.themeLoaded) {
      window.cellLoaded = true;
      return;
    }
    var loading = document.getElementById('loading');
    if (loading) { loading.parentNode.removeChild(loading); }
    var cells = document.getElementById('rendered_cells');
    if (cells) { cells.style.display = ''; }
  };
  window.voila_process = window.update_loading_text;
  window.voila_finish = window.display_cells;
})();
