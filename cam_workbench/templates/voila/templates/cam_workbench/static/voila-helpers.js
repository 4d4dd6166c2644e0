/* Voila's helper functions (its templates have them inline, which the server's
   Content-Security-Policy forbids), without the per-cell progress text ("Executing 1 of 3"):
   our templates show their own plain loading text. Loaded before Voila's scripts by both
   the patient page and the workshop slides. */
(function () {
  'use strict';
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
  window.voila_process = function () {};
  window.voila_finish = window.display_cells;
})();
