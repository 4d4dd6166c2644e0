"""The page's query string reaches a preheated kernel, however long it waited."""

from __future__ import annotations

import json
import threading
import time

from websockets.sync.server import serve

from cam_workbench.views.query import page_query


def test_outside_voila_there_is_no_query(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert page_query() is None


def test_preheated_kernel_waits_for_the_patient_request(monkeypatch):
    paths = []

    def handler(socket):
        paths.append(socket.request.path)
        time.sleep(1.0)  # the patient opens the page a while after the kernel was preheated
        socket.send(json.dumps({"QUERY_STRING": "lang=es"}))

    with serve(handler, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        monkeypatch.setenv("VOILA_PREHEAT", "True")
        monkeypatch.setenv("VOILA_APP_PORT", str(port))
        monkeypatch.setenv("VOILA_KERNEL_ID", "abc-123")
        monkeypatch.setenv("VOILA_SERVER_URL", "/")
        monkeypatch.delenv("VOILA_WS_BASE_URL", raising=False)
        monkeypatch.delenv("QUERY_STRING", raising=False)
        assert page_query() == "lang=es"
        server.shutdown()
    assert paths == ["/voila/query/abc-123"]
