/* The CAM workbench patient page's own script (loaded from a file: the page's
   Content-Security-Policy allows no inline script).
   - a plain-words notice when the session is gone (kernel died, culled, connection lost);
   - the page follows a language switch (<html lang>, <title>, the notice's text), and
     elements with class cam-live become polite live regions;
   - text fields are capped at 10,000 characters, far under the server's message size limit. */
(function () {
  'use strict';

  var MAX_TEXT = 10000;

  /* --- the session-lost notice --- */
  var permanent = false;
  var shown = false;
  var reconnectTimer = null;
  var unloading = false;
  window.addEventListener('beforeunload', function () { unloading = true; });

  function setLost(lost) {
    var notice = document.getElementById('cam-session-lost');
    var cells = document.getElementById('rendered_cells');
    var loading = document.getElementById('loading');
    if (!notice || shown === lost) { return; }
    shown = lost;
    notice.hidden = !lost;
    if (cells) {
      if (lost) {
        cells.setAttribute('inert', '');
        cells.classList.add('cam-session-lost-content');
      } else {
        cells.removeAttribute('inert');
        cells.classList.remove('cam-session-lost-content');
      }
    }
    if (lost && loading) { loading.style.display = 'none'; }
  }

  function lostForGood() {
    permanent = true;
    setLost(true);
  }

  window.camSessionLost = function () { return shown; };

  function watch(kernel) {
    kernel.statusChanged.connect(function (_, status) {
      if (status === 'dead' || status === 'restarting' || status === 'autorestarting') {
        lostForGood();
      }
    });
    kernel.connectionStatusChanged.connect(function (_, status) {
      if (status === 'connected') {
        if (reconnectTimer !== null) { clearTimeout(reconnectTimer); reconnectTimer = null; }
        if (!permanent) { setLost(false); }
      } else if (status === 'disconnected') {
        lostForGood();
      } else if (status === 'connecting' && reconnectTimer === null) {
        reconnectTimer = setTimeout(function () { reconnectTimer = null; setLost(true); }, 6000);
      }
    });
    kernel.disposed.connect(function () {
      if (!unloading) { lostForGood(); }
    });
    if (kernel.status === 'dead' || kernel.connectionStatus === 'disconnected') {
      lostForGood();
    }
    /* A kernel shut down by the server (idle culling) leaves the websocket silent, not
       closed: ask the server whether the kernel still exists, every 15 s and whenever the
       patient comes back to the tab. */
    var base = document.body.getAttribute('data-cam-base-url') || '/';
    var url = base + 'api/kernels/' + encodeURIComponent(kernel.id);
    /* Behind a proxy with several replicas, a check may reach another replica (ours went
       out of the proxy's rotation: full or stopping); its 404 says nothing about our kernel. */
    var replica = document.body.getAttribute('data-cam-replica') || '';
    var failures = 0;
    function check() {
      if (permanent || unloading) { return; }
      fetch(url, { cache: 'no-store', credentials: 'same-origin' }).then(function (response) {
        failures = 0;
        var from = response.headers.get('X-Cam-Replica') || '';
        if (response.status === 404 && (!replica || !from || from === replica)) { lostForGood(); }
      }, function () {
        failures += 1;
        if (failures >= 2) { setLost(true); }
      });
    }
    setInterval(check, 15000);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible') { check(); }
    });
    window.addEventListener('focus', check);
  }

  /* Voila's frontend attaches its shell (which takes over #rendered_cells) to <body>: move
     it into <main> so that all content sits in one landmark. */
  function adoptShell() {
    var main = document.getElementById('cam-main');
    var shell = document.querySelector('body > .jp-LabShell');
    if (shell && main) { main.appendChild(shell); }
  }
  new MutationObserver(adoptShell).observe(document.body, { childList: true });

  var appSeenAt = null;
  function poll() {
    var app = window.jupyterapp;
    if (app && app.widgetManager && app.widgetManager.kernel) {
      watch(app.widgetManager.kernel);
      return;
    }
    if (app) {
      /* The app started but has no widget manager: the kernel was gone before we connected. */
      appSeenAt = appSeenAt || Date.now();
      if (Date.now() - appSeenAt > 3000) { lostForGood(); return; }
    }
    setTimeout(poll, 100);
  }
  poll();

  /* --- a new screen shows its top ---
     On a new screen the kernel moves keyboard focus to its first control (Start again, the
     clearance step, the guide's first section), and the browser scrolls that control into
     view: on a phone that hid the outcome's heading and first words (on the urgent outcome,
     "go to an emergency room now"). Focus the patient did not move themselves (by Tab, or by
     pressing that control) stays where it is, and the page shows the top of the screen, or of
     the step within it that opened (class cam-step: the clearance's confirm question). */
  var lastTab = 0;
  var lastPointed = null;
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Tab') { lastTab = Date.now(); }
  }, true);
  document.addEventListener('pointerdown', function (event) { lastPointed = event.target; }, true);
  document.addEventListener('focusin', function (event) {
    var target = event.target;
    if (Date.now() - lastTab < 500) { return; }
    if (lastPointed && target.contains && target.contains(lastPointed)) { return; }
    var screen = target.closest ? target.closest('.cam-screen') : null;
    if (!screen) { return; }
    var top = target.closest('.cam-step') || screen;
    /* after the browser's own scroll to the focused control */
    window.requestAnimationFrame(function () {
      if (top.getBoundingClientRect().top < 0) { top.scrollIntoView({ block: 'start' }); }
    });
  }, true);

  /* --- language, title, live regions, text field length --- */
  function sync() {
    var marker = document.querySelector('[data-cam-lang]');
    if (marker) {
      var lang = marker.getAttribute('data-cam-lang');
      if (document.documentElement.lang !== lang) { document.documentElement.lang = lang; }
      var title = marker.getAttribute('data-cam-title');
      if (title && document.title !== title) { document.title = title; }
      var lost = marker.getAttribute('data-cam-session-lost');
      var notice = document.getElementById('cam-session-lost');
      if (lost && notice && notice.textContent !== lost) { notice.textContent = lost; }
    }
    var live = document.querySelectorAll('.cam-live:not([aria-live])');
    for (var i = 0; i < live.length; i++) {
      live[i].setAttribute('aria-live', 'polite');
      live[i].setAttribute('aria-atomic', 'true');
    }
    var fields = document.querySelectorAll(
      'input[type="text"]:not([maxlength]), textarea:not([maxlength])');
    for (var j = 0; j < fields.length; j++) {
      fields[j].setAttribute('maxlength', String(MAX_TEXT));
    }
  }
  new MutationObserver(sync).observe(document.documentElement, { childList: true, subtree: true });
})();
