/* reveal.js settings for Voila's reveal script, from the page's data-cam-reveal attribute
   (set by the template from resources.reveal), instead of an inline script. */
(function () {
  'use strict';
  var settings = JSON.parse(document.body.getAttribute('data-cam-reveal') || '{}');
  window.reveal_transition = String(settings.transition || 'none');
  window.reveal_number = String(settings.number || '');
  window.reveal_width = Number(settings.width) || 1280;
  window.reveal_height = Number(settings.height) || 800;
  window.reveal_scroll = settings.scroll === true || settings.scroll === 'true';
})();
