/* The session tracker's two small widgets in the page (module "cam-workbench-device"),
   loaded from a file of our template: the page's Content-Security-Policy allows scripts from
   this server only (no inline script, no eval, no blob: module), so the widgets' code is not
   sent by the kernel, as anywidget does, but registered here with the page's widget manager.

   - DeviceStoreModel (no view): the tracker's sessions in this browser's localStorage. It
     tells the kernel what it finds (as bytes, at most max_bytes: never near the server's
     websocket message cap), and writes or removes the record when the kernel asks. The data
     goes between this browser and the patient's own kernel only.
   - FilePickerModel / FilePickerView: a labelled file chooser. The chosen file is read here
     and its bytes sent to the kernel only when it is at most max_bytes; a larger one is
     reported without its content. Nothing is uploaded anywhere else.

   Both are registered as soon as the widget manager exists; the kernel creates them only
   when the patient opens "Track your sessions", long after. */
(function () {
  'use strict';

  var MODULE = 'cam-workbench-device';
  var VERSION = '1.0.0';
  var BASE = '@jupyter-widgets/base';

  function storage() {
    try {
      var s = window.localStorage;
      var probe = '__cam_probe__';
      s.setItem(probe, probe);
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null; /* disabled, blocked by the browser's settings, or full */
    }
  }

  function build(WidgetModel, DOMWidgetModel, DOMWidgetView) {
    class DeviceStoreModel extends WidgetModel {
      defaults() {
        return Object.assign(super.defaults(), {
          _model_name: 'DeviceStoreModel',
          _model_module: MODULE,
          _model_module_version: VERSION,
          key: '',
          max_bytes: 0
        });
      }

      initialize(attributes, options) {
        super.initialize(attributes, options);
        this.on('msg:custom', this.onCommand, this);
        setTimeout(() => this.report(), 0);
      }

      report() {
        const s = storage();
        if (!s) { this.send({ event: 'loaded', available: false }); return; }
        let raw = null;
        try { raw = s.getItem(this.get('key')); } catch (e) { raw = null; }
        if (raw === null) {
          this.send({ event: 'loaded', available: true, found: false });
          return;
        }
        const bytes = new TextEncoder().encode(raw);
        if (bytes.byteLength > this.get('max_bytes')) {
          this.send({ event: 'loaded', available: true, found: true, too_big: true });
          return;
        }
        this.send({ event: 'loaded', available: true, found: true }, undefined, [bytes.buffer]);
      }

      onCommand(content) {
        if (!content || typeof content !== 'object') { return; }
        const s = storage();
        let ok = false;
        if (content.command === 'save' && typeof content.text === 'string') {
          try { if (s) { s.setItem(this.get('key'), content.text); ok = true; } } catch (e) { ok = false; }
          this.send({ event: 'saved', ok: ok, serial: content.serial });
        } else if (content.command === 'forget') {
          try { if (s) { s.removeItem(this.get('key')); ok = true; } } catch (e) { ok = false; }
          this.send({ event: 'forgotten', ok: ok });
        }
      }
    }

    class FilePickerModel extends DOMWidgetModel {
      defaults() {
        return Object.assign(super.defaults(), {
          _model_name: 'FilePickerModel',
          _model_module: MODULE,
          _model_module_version: VERSION,
          _view_name: 'FilePickerView',
          _view_module: MODULE,
          _view_module_version: VERSION,
          label: '',
          accept: '',
          max_bytes: 0
        });
      }
    }

    let counter = 0;
    class FilePickerView extends DOMWidgetView {
      render() {
        counter += 1;
        const id = 'cam-file-' + counter;
        this.el.classList.add('cam-file');
        this.label = document.createElement('label');
        this.label.htmlFor = id;
        this.input = document.createElement('input');
        this.input.type = 'file';
        this.input.id = id;
        this.el.appendChild(this.label);
        this.el.appendChild(this.input);
        this.input.addEventListener('change', () => this.onChange());
        this.listenTo(this.model, 'change:label change:accept', this.update);
        this.update();
      }

      update() {
        this.label.textContent = this.model.get('label');
        this.input.accept = this.model.get('accept');
      }

      onChange() {
        const file = this.input.files && this.input.files[0];
        const model = this.model;
        const input = this.input;
        if (!file) { return; }
        const limit = model.get('max_bytes');
        if (file.size > limit) {
          model.send({ event: 'file', too_big: true });
          input.value = '';
          return;
        }
        file.arrayBuffer().then((buffer) => {
          if (buffer.byteLength > limit) {
            model.send({ event: 'file', too_big: true });
          } else {
            model.send({ event: 'file' }, undefined, [buffer]);
          }
          input.value = ''; /* the same file can be chosen again */
        }, () => {
          model.send({ event: 'file', unreadable: true });
          input.value = '';
        });
      }
    }

    return {
      DeviceStoreModel: DeviceStoreModel,
      FilePickerModel: FilePickerModel,
      FilePickerView: FilePickerView
    };
  }

  function register(manager) {
    var loaded = null;
    manager.register({
      name: MODULE,
      version: VERSION,
      exports: function () {
        if (!loaded) {
          loaded = Promise.all([
            manager.loadClass('WidgetModel', BASE, '2.0.0'),
            manager.loadClass('DOMWidgetModel', BASE, '2.0.0'),
            manager.loadClass('DOMWidgetView', BASE, '2.0.0')
          ]).then(function (classes) {
            return build(classes[0], classes[1], classes[2]);
          });
        }
        return loaded;
      }
    });
  }

  function poll() {
    var app = window.jupyterapp;
    if (app && app.widgetManager && typeof app.widgetManager.register === 'function') {
      register(app.widgetManager);
      return;
    }
    setTimeout(poll, 50);
  }
  poll();
})();
