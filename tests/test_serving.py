"""The serving layer: production settings, the kernel cap and busy page, culling, session loss.

The e2e tests start ``serve()`` for real in a subprocess on a tiny notebook. They wait for the
port with a TCP connect (an HTTP GET would start a kernel) and count kernels as the server's
``ipykernel_launcher`` children in /proc.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import gzip
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import nbformat
import pytest
from helpers import kernel_processes

from cam_workbench.serving import (
    IMMUTABLE,
    TEMPLATE_NAME,
    TEMPLATE_ROOT,
    UNUSED_EXTENSIONS,
    CamServerKernelManager,
    CamVoila,
    CappedKernelManager,
    ServeOptions,
    ServerTexts,
    cull_interval_s,
    kernel_environment,
    kernel_id_of_page,
    patient_page_config,
    plain_page,
    versioned_static_page_config,
    voila_config,
)

TEXTS = ServerTexts(
    page_title="Back pain check <test>",
    busy_title="Busy right now",
    busy_message="We are busy, please try again in a minute.",
    error_title="Something went wrong",
    error_message="Sorry, something went wrong. Please reload the page.",
    session_lost="Your session has ended. Please reload the page to start again.",
    language="en",
)
CODE_MARKER = "SOURCE_CODE_MARKER_8271"


def write_notebook(path: Path) -> Path:
    """A tiny patient page: three checkboxes and a button whose callback prints the choice."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny page"),
        nbformat.v4.new_code_cell(
            textwrap.dedent(
                f"""\
                import os
                import ipywidgets as w
                {CODE_MARKER} = 1
                boxes = [w.Checkbox(description=f"Symptom {{i}}", indent=False) for i in range(3)]
                out = w.Output()
                button = w.Button(description="Continue")
                def on_click(_):
                    with out:
                        out.clear_output()
                        print("chosen:", [b.description for b in boxes if b.value])
                button.on_click(on_click)
                w.VBox([*boxes, button, out])
                """
            )
        ),
        nbformat.v4.new_code_cell('print("content:", os.environ.get("CAM_WORKBENCH_CONTENT"))'),
    ]
    nbformat.write(nb, path)
    return path


def options(tmp_path: Path, **overrides: object) -> ServeOptions:
    notebook = write_notebook(tmp_path / "tiny.ipynb")
    return ServeOptions(notebook=notebook, texts=TEXTS, **overrides)  # type: ignore[arg-type]


# -- configuration ---------------------------------------------------------------------------


def test_defaults_bind_localhost_and_stay_within_the_machine(tmp_path):
    opts = options(tmp_path)
    assert opts.host == "127.0.0.1"
    assert 2 < opts.max_kernels <= 60  # ~100 MB each: well under 24 GiB
    assert 1 <= opts.pool_size <= 4  # 2 cores
    assert opts.unconnected_timeout_s < opts.idle_timeout_s
    assert opts.disconnected_timeout_s < opts.idle_timeout_s
    # A closed tab's kernel goes within 2 minutes (timeout + one cull interval).
    assert opts.disconnected_timeout_s + cull_interval_s(opts) <= 120
    assert opts.unconnected_timeout_s + cull_interval_s(opts) <= 120
    assert 1 <= opts.max_unconnected < opts.max_kernels - opts.pool_size
    assert opts.refill_delay_s > 0


def test_config_has_the_production_settings(tmp_path):
    opts = options(tmp_path, env={"CAM_WORKBENCH_CONTENT": "/somewhere"})
    c = voila_config(opts)
    assert c.Voila.ip == "127.0.0.1"
    assert c.Voila.port == 8866
    assert c.Voila.port_retries == 0
    assert c.Voila.open_browser is False
    assert c.Voila.notebook_path == str(opts.notebook.resolve())
    vc = c.VoilaConfiguration
    assert vc.strip_sources is True
    assert vc.show_tracebacks is False
    assert vc.allow_template_override == "NO"
    assert vc.allow_theme_override == "NO"
    assert vc.template == TEMPLATE_NAME
    assert vc.preheat_kernel is True
    assert vc.default_pool_size == opts.pool_size
    assert vc.resources["cam_workbench"]["page_title"] == TEXTS.page_title
    assert c.VoilaExecutor.show_tracebacks is False
    assert c.MappingKernelManager.allow_tracebacks is False
    assert c.MappingKernelManager.cull_idle_timeout > 0
    assert c.MappingKernelManager.cull_interval == cull_interval_s(opts)
    assert c.CappedKernelManager.max_kernels == opts.max_kernels
    assert c.CappedKernelManager.unconnected_timeout == opts.unconnected_timeout_s
    assert c.CappedKernelManager.idle_timeout == opts.idle_timeout_s
    assert c.CappedKernelManager.disconnected_timeout == opts.disconnected_timeout_s
    assert c.CappedKernelManager.max_unconnected == opts.max_unconnected
    assert c.VoilaKernelManager.fill_delay == opts.refill_delay_s
    assert c.KernelRestarter.restart_limit == 0
    assert set(UNUSED_EXTENSIONS) <= set(vc.extension_denylist)
    assert vc.page_config_hook is patient_page_config
    env = kernel_environment(opts)
    assert env["CAM_WORKBENCH_CONTENT"] == "/somewhere"
    assert env["JUPYTER_PATH"].split(os.pathsep)[0] == str(TEMPLATE_ROOT)


def test_host_can_be_changed_and_pool_can_be_off(tmp_path):
    c = voila_config(options(tmp_path, host="0.0.0.0", port=9000, pool_size=0))
    assert c.Voila.ip == "0.0.0.0"
    assert c.Voila.port == 9000
    assert c.VoilaConfiguration.preheat_kernel is False


@pytest.mark.parametrize(
    "bad",
    [
        {"max_kernels": 2, "pool_size": 2},
        {"pool_size": -1},
        {"port": 0},
        {"unconnected_timeout_s": 0},
        {"disconnected_timeout_s": 0},
        {"max_unconnected": 0},
        {"refill_delay_s": -1},
    ],
)
def test_impossible_options_are_refused(tmp_path, bad):
    with pytest.raises(ValueError):
        options(tmp_path, **bad)


def test_app_applies_the_settings_and_ignores_stray_config_files(tmp_path, monkeypatch):
    # A voila.json in the working directory must not turn tracebacks or overrides back on.
    (tmp_path / "voila.json").write_text(
        json.dumps({"VoilaConfiguration": {"show_tracebacks": True, "strip_sources": False}})
    )
    monkeypatch.chdir(tmp_path)
    opts = options(tmp_path)
    for key, value in kernel_environment(opts).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # initialize() installs one
    app = CamVoila(config=voila_config(opts))
    app.initialize([])
    vc = app.voila_configuration
    assert vc.strip_sources is True
    assert vc.show_tracebacks is False
    assert vc.allow_template_override == "NO"
    assert vc.allow_theme_override == "NO"
    assert app.ip == "127.0.0.1"
    ours = TEMPLATE_ROOT / "voila" / "templates" / TEMPLATE_NAME
    assert app.template_paths[0] == str(ours)
    assert (ours / "index.html.j2").is_file()


def test_versioned_static_url_in_the_page_config():
    config = versioned_static_page_config(
        {"fullStaticUrl": "/base/voila/static"},
        base_url="/base/",
        settings={"cam_static_version": "abc123"},
    )
    assert config["fullStaticUrl"] == "/base/voila/static/_/abc123"


def test_the_patient_page_loads_a_typesetter_that_does_nothing_instead_of_mathjax():
    config = patient_page_config(
        {"fullStaticUrl": "/base/voila/static"},
        base_url="/base/",
        settings={"cam_static_version": "abc123"},
    )
    assert config["fullStaticUrl"] == "/base/voila/static/_/abc123"
    url = config["fullMathjaxUrl"]
    assert url.startswith("/base/voila/templates/cam_workbench/static/cam-no-math.js?v=")
    assert config["mathjaxConfig"] not in ("", "null")  # both set: JupyterLab's MathJax 2 path
    script = TEMPLATE_ROOT / "voila" / "templates" / TEMPLATE_NAME / "static" / "cam-no-math.js"
    assert "window.MathJax" in script.read_text(encoding="utf-8")


def test_runtime_errors_reach_the_page_without_traceback():
    # jupyter_server reads this from the per-kernel manager when allow_tracebacks is False.
    manager = CappedKernelManager(
        traceback_replacement_message="Sorry.", log=logging.getLogger("test")
    )
    kernel_manager = manager.kernel_manager_factory(parent=manager)
    assert isinstance(kernel_manager, CamServerKernelManager)
    assert kernel_manager.traceback_replacement_message == "Sorry."


def test_plain_page_escapes_texts_and_has_a_main_landmark():
    page = plain_page("A <b> title", 'Say "hi" & <script>', "de")
    assert '<html lang="de">' in page
    assert "<main>" in page and "</main>" in page
    assert "<script>" not in page
    assert "A &lt;b&gt; title" in page


def test_template_has_no_cdn_links():
    template = (TEMPLATE_ROOT / "voila" / "templates" / TEMPLATE_NAME / "index.html.j2").read_text()
    assert "https://" not in template and "http://" not in template


# -- a real server ---------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    options: ServeOptions

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kernels(self) -> list[tuple[int, str]]:
        """(pid, kernel id) of the server's kernel processes (spawned or forked)."""
        return kernel_processes(self.proc.pid)

    def wait_for_kernels(self, count: int, timeout: float, steady: float = 0.0) -> float:
        """Wait until exactly ``count`` kernels run (for ``steady`` seconds); return the wait."""
        start = time.monotonic()
        since = None
        while time.monotonic() - start < timeout:
            if len(self.kernels()) == count:
                since = since or time.monotonic()
                if time.monotonic() - since >= steady:
                    return since - start
            else:
                since = None
            time.sleep(0.2)
        raise AssertionError(f"{len(self.kernels())} kernels, expected {count}:\n{self.log()}")

    def wait_gone(self, kernel_id: str, timeout: float) -> float:
        """Wait until this kernel no longer runs; return the wait."""
        start = time.monotonic()
        while any(kid == kernel_id for _, kid in self.kernels()):
            if time.monotonic() - start > timeout:
                raise AssertionError(f"kernel {kernel_id} still runs:\n{self.log()}")
            time.sleep(0.2)
        return time.monotonic() - start

    def wait_until_idle(self) -> None:
        """Wait until only the preheated pool runs, and stays so past a pool refill."""
        self.wait_for_kernels(self.options.pool_size, timeout=40, steady=2.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, Message, str]:
    """GET without a websocket: Voila starts (or takes) a kernel that no page will use."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def get_bytes(url: str, **headers: str) -> tuple[Message, bytes]:
    request = urllib.request.Request(
        url, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.headers, response.read()


def xsrf_cookie(headers: Message) -> str:
    for cookie in headers.get_all("Set-Cookie") or []:
        if cookie.startswith("_xsrf="):
            return cookie.split(";", 1)[0][len("_xsrf=") :]
    raise AssertionError("no _xsrf cookie")


def cookie_header(headers: Message) -> str:
    """The ``Cookie`` header a browser sends back after this response."""
    cookies = [c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies)


def channels_url(server: Server, kernel_id: str, session_id: str) -> str:
    base = server.url.replace("http://", "ws://", 1)
    return f"{base}api/kernels/{kernel_id}/channels?session_id={session_id}"


SERVER_SCRIPT = """
import json, sys
from pathlib import Path
from cam_workbench.serving import ServeOptions, ServerTexts, serve
spec = json.loads(sys.argv[1])
spec["notebook"] = Path(spec["notebook"])
spec["texts"] = ServerTexts(**spec["texts"])
sys.exit(serve(ServeOptions(**spec)))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    if not Path("/proc/self/stat").exists():
        pytest.skip("counting kernels needs /proc (Linux)")
    tmp = tmp_path_factory.mktemp("serving")
    opts = options(
        tmp,
        port=free_port(),
        max_kernels=4,
        pool_size=1,
        max_unconnected=2,
        unconnected_timeout_s=12,
        disconnected_timeout_s=6,
        idle_timeout_s=30,
        refill_delay_s=0.5,
        env={"CAM_WORKBENCH_CONTENT": "/content/for/kernels"},
    )
    spec = {
        **{f.name: getattr(opts, f.name) for f in dataclasses.fields(opts)},
        "notebook": str(opts.notebook),
        "texts": dataclasses.asdict(opts.texts),
        "env": dict(opts.env),
    }
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER_SCRIPT, json.dumps(spec)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv = Server(f"http://127.0.0.1:{opts.port}/", proc, log_path, opts)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{srv.log()}")
            try:
                with socket.create_connection(("127.0.0.1", opts.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        srv.wait_until_idle()
        yield srv
    finally:
        kernels = srv.kernels()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for pid, _ in kernels:  # the server shuts them down; make sure of it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.e2e
def test_page_has_our_title_language_landmark_and_no_code(server):
    status, headers, body = get(server.url + "?template=classic&theme=dark")
    assert status == 200
    assert "<title>Back pain check &lt;test&gt;</title>" in body
    assert '<html lang="en">' in body
    assert '<main id="cam-main">' in body and "</main>" in body
    assert TEXTS.session_lost in body
    assert CODE_MARKER not in body and "import ipywidgets" not in body
    assert "content: /content/for/kernels" in body  # options.env reached the kernel
    assert "theme-light" in body  # ?theme= and ?template= are ignored
    assert "cdn.jsdelivr" not in body and "cdnjs" not in body
    cookies = headers.get_all("Set-Cookie") or []
    assert any(c.startswith("_xsrf=") for c in cookies)  # the page's unload beacon needs it


@pytest.mark.e2e
def test_a_flood_costs_no_more_kernels_and_its_never_connected_kernels_are_culled(server):
    waiting = server.options.max_unconnected
    server.wait_until_idle()
    # The first visits get kernels of their own, up to max_unconnected pages waiting to connect.
    first = [get(server.url) for _ in range(waiting)]
    assert [status for status, _, _ in first] == [200] * waiting
    own = {kernel_id_of_page(body) for _, _, body in first}
    assert len(own) == waiting
    # Past that, visits from the same address that never connect are handed those (untouched)
    # pages, a few seconds after they were made: no more kernels.
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(get, [server.url] * 12))
    assert [status for status, _, _ in results] == [200] * 12
    assert {kernel_id_of_page(body) for _, _, body in results} <= own
    counts = []
    for _ in range(4):
        counts.append(len(server.kernels()))
        time.sleep(0.25)
    assert max(counts) <= server.options.pool_size + waiting <= server.options.max_kernels
    # Nobody connected: the kernels go after unconnected_timeout_s (+ one cull interval),
    # counted from their first hand-out (handing a page on does not restart it).
    took = server.wait_for_kernels(server.options.pool_size, timeout=40)
    assert took <= server.options.unconnected_timeout_s + 12
    assert "page never connected" in server.log()
    assert get(server.url)[0] == 200


@pytest.mark.e2e
def test_with_every_kernel_in_use_a_visit_gets_the_busy_page_and_no_kernel(server):
    from websockets.sync.client import connect

    server.wait_until_idle()
    with contextlib.ExitStack() as pages:
        for n in range(server.options.max_kernels - server.options.pool_size):
            status, headers, page = get(server.url)
            assert status == 200
            url = channels_url(server, kernel_id_of_page(page), f"page-{n}")
            pages.enter_context(connect(url, additional_headers={"Cookie": cookie_header(headers)}))
        status, headers, body = get(server.url)
        assert status == 503
        assert headers["Retry-After"] == "60"
        assert f"<title>{TEXTS.busy_title}</title>" in body
        assert TEXTS.busy_message in body
        assert "Traceback" not in body and "kernelId" not in body
        assert len(server.kernels()) <= server.options.max_kernels
    server.wait_until_idle()  # the pages left: their kernels go after disconnected_timeout_s


@pytest.mark.e2e
def test_static_assets_are_served_gzip_compressed_with_a_cache_control_header(server):
    status, headers, page = get(server.url)
    assert status == 200
    config = json.loads(
        re.search(r'id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)[1]
    )
    base = server.url.rstrip("/")
    main = re.search(r'<script src="([^"]*/voila\.js)"', page)[1]
    assert main.startswith(config["fullStaticUrl"]) and "/voila/static/_/" in main
    style = re.search(r'src="([^"]*voila-style\.js\?v=[0-9a-f]+)"', page)[1]
    extension = config["federated_extensions"][0]
    remote = f"{config['fullLabextensionsUrl']}/{extension['name']}/{extension['load']}"
    assert not any(e["name"] in UNUSED_EXTENSIONS for e in config["federated_extensions"])
    for path in (main, style, remote):
        zipped_headers, zipped = get_bytes(base + path, Accept_Encoding="gzip")
        assert zipped_headers["Content-Encoding"] == "gzip", path
        assert zipped_headers["Cache-Control"] == IMMUTABLE, path
        assert "Accept-Encoding" in zipped_headers["Vary"]
        plain_headers, plain = get_bytes(base + path)
        assert "Content-Encoding" not in plain_headers
        assert gzip.decompress(zipped) == plain and len(zipped) < len(plain)
    # The typesetter that replaces MathJax, as JupyterLab asks for it (its query appended).
    no_math = config["fullMathjaxUrl"] + "?config=none&amp;delayStartupUntil=configured"
    no_math_headers, script = get_bytes(base + no_math)
    assert no_math_headers["Cache-Control"] == IMMUTABLE
    assert b"window.MathJax" in script
    # The page itself is compressed too, and never cached.
    page_headers, _ = get_bytes(server.url, Accept_Encoding="gzip")
    assert page_headers["Content-Encoding"] == "gzip"
    assert "no-store" in page_headers["Cache-Control"]


@pytest.mark.e2e
def test_a_kernel_belongs_to_the_first_page_and_goes_soon_after_that_page_left(server):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    server.wait_until_idle()
    status, headers, page = get(server.url)
    assert status == 200
    kernel_id = kernel_id_of_page(page)
    browser = {"Cookie": cookie_header(headers)}  # the visitor the page was given to
    with connect(channels_url(server, kernel_id, "first-page"), additional_headers=browser):
        with pytest.raises(InvalidStatus) as refused:
            connect(channels_url(server, kernel_id, "another-page"), additional_headers=browser)
        assert refused.value.response.status_code == 403
    # reconnecting is fine
    with connect(channels_url(server, kernel_id, "first-page"), additional_headers=browser):
        pass
    # The page left without the unload beacon: gone after disconnected_timeout_s.
    took = server.wait_gone(kernel_id, timeout=30)
    assert took >= server.options.disconnected_timeout_s - 1
    assert "page gone" in server.log()


@pytest.mark.e2e
def test_unload_beacon_shuts_a_kernel_down_only_once_no_page_is_connected(server):
    from websockets.sync.client import connect

    server.wait_until_idle()
    status, headers, page = get(server.url)
    assert status == 200
    kernel_id = kernel_id_of_page(page)
    xsrf = xsrf_cookie(headers)
    browser = cookie_header(headers)

    def beacon() -> int:
        request = urllib.request.Request(
            f"{server.url}voila/api/shutdown/{kernel_id}",
            data=urllib.parse.urlencode({"_xsrf": xsrf}).encode(),
            headers={"Cookie": browser},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    page_socket = channels_url(server, kernel_id, "the-page")
    with connect(page_socket, additional_headers={"Cookie": browser}):
        # Another tab of the same browser sends the beacon while the page is open: it stays.
        assert beacon() == 204
        time.sleep(1.5)
        assert kernel_id in {kid for _, kid in server.kernels()}
    # The page leaves soon after the beacon (its own beacon comes just before its websocket
    # closes): the kernel goes now, not after disconnected_timeout_s.
    server.wait_gone(kernel_id, timeout=server.options.disconnected_timeout_s - 1)


@pytest.mark.e2e
def test_lost_session_is_told_in_plain_words_and_a_reload_works(server, browser):
    from playwright.sync_api import expect

    server.wait_until_idle()
    page = browser.new_page()
    try:
        page.goto(server.url)
        box = page.get_by_role("checkbox", name="Symptom 0")
        expect(box).to_be_enabled(timeout=30_000)
        box.check()
        notice = page.get_by_role("alert").filter(has_text=TEXTS.session_lost)
        expect(notice).to_have_count(0)
        kernel_id = page.evaluate(
            "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
        )
        (pid,) = [pid for pid, kid in server.kernels() if kid == kernel_id]
        os.kill(pid, signal.SIGKILL)
        expect(notice).to_be_visible(timeout=20_000)
        page.reload()
        box = page.get_by_role("checkbox", name="Symptom 0")
        expect(box).to_be_enabled(timeout=30_000)
        expect(notice).to_have_count(0)
        box.check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("chosen: ['Symptom 0']")).to_be_visible(timeout=10_000)
    finally:
        page.close(run_before_unload=True)
    assert "Symptom" not in server.log()  # the patient's answers never reach the log


def test_the_kernel_manager_has_zmq_sockets_for_hundreds_of_sessions():
    # About six sockets a connected patient: libzmq's default of 1,023 a context ran out at
    # about 170 sessions in the benchmark ("Too many open files").
    import resource

    import zmq

    from cam_workbench.serving.kernels import CappedKernelManager
    from cam_workbench.serving.limits import socket_cap

    manager = CappedKernelManager()
    context = manager.context
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert context.get(zmq.MAX_SOCKETS) == socket_cap(soft)
    if soft < 2600:
        pytest.skip(f"this machine allows {soft} open files; 1,300 sockets need about 2,600")
    sockets = []
    try:
        for _ in range(1300):  # past libzmq's default cap
            sockets.append(context.socket(zmq.DEALER))
    finally:
        for sock in sockets:
            sock.close(linger=0)
    assert len(sockets) == 1300


def test_the_servers_logger_drops_debug_calls_before_building_a_record(tmp_path, monkeypatch):
    # traitlets leaves an app's logger at DEBUG (its handler drops the lines): each kernel
    # message's debug call then built a record and ran the privacy filter for nothing.
    opts = options(tmp_path)
    for key, value in kernel_environment(opts).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    app = CamVoila(config=voila_config(opts))
    app.initialize([])
    assert not app.log.isEnabledFor(logging.DEBUG)
    assert app.log.isEnabledFor(logging.INFO)
