"""Deployment settings without a server: base URL, framing, cookies, config file and
environment, readiness, the drain, metrics and JSON log lines."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time

import pytest
from helpers import run_async

from cam_workbench.cli import build_parser, main
from cam_workbench.cli.common import UsageError
from cam_workbench.cli.serve_settings import (
    SETTINGS,
    read_config_file,
    resolve,
    serve_options,
)
from cam_workbench.serving import ServeOptions, ServerTexts, voila_config
from cam_workbench.serving.http import PrivacyLogFilter
from cam_workbench.serving.logs import JsonLogFormatter
from cam_workbench.serving.metrics import ServerMetrics
from cam_workbench.serving.operations import Drain, ServerState, readiness
from cam_workbench.serving.placement import (
    cookie_options,
    frame_ancestor_sources,
    normal_base_url,
)

TEXTS = ServerTexts("t", "b", "bm", "e", "em", "lost")


def serve_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


# -- base URL and frame ancestors -----------------------------------------------------------


@pytest.mark.parametrize(
    "given, expected",
    [
        ("/", "/"),
        ("", "/"),
        ("back-pain", "/back-pain/"),
        ("/back-pain", "/back-pain/"),
        ("/care/back-pain/", "/care/back-pain/"),
        ("/a.b_c~d-e/", "/a.b_c~d-e/"),
    ],
)
def test_a_base_url_is_normalised_to_slashes_on_both_ends(given, expected):
    assert normal_base_url(given) == expected


@pytest.mark.parametrize(
    "bad", ["https://host/back-pain/", "/back pain/", "/a//b/", "/../etc/", "/x?y=1", "/é/"]
)
def test_a_base_url_that_is_not_a_plain_path_is_refused(bad):
    with pytest.raises(ValueError, match="base URL must be a path such as /back-pain/"):
        normal_base_url(bad)


@pytest.mark.parametrize(
    "given, expected",
    [
        ("'self'", ("'self'",)),
        ("self https://portal.example.org", ("'self'", "https://portal.example.org")),
        (
            "https://Portal.Example.org/, https://*.clinic.example:8443",
            ("https://portal.example.org", "https://*.clinic.example:8443"),
        ),
        ("none", ("'none'",)),
        (
            "http://localhost:8080 http://127.0.0.1:9000",
            ("http://localhost:8080", "http://127.0.0.1:9000"),
        ),
    ],
)
def test_frame_ancestors_take_self_none_and_portal_origins(given, expected):
    assert frame_ancestor_sources(given) == expected


@pytest.mark.parametrize(
    "bad, says",
    [
        ("*", "would let any site frame the page"),
        ("https:", "would let any site frame the page"),
        ("portal.example.org", "is not 'self', 'none' or an origin"),
        ("https://portal.example.org/page", "no path"),
        ("ftp://portal.example.org", "starts with https://"),
        ("https://bad_host", "not a host name"),
        ("'none' https://portal.example.org", "cannot be combined"),
        ("", "empty"),
    ],
)
def test_junk_frame_ancestors_get_a_clear_error(bad, says):
    with pytest.raises(ValueError, match=says):
        frame_ancestor_sources(bad)


def test_cookies_stay_strict_unless_a_portal_origin_may_frame_the_page(tmp_path):
    assert cookie_options("'self'") == {"samesite": "Strict"}
    assert cookie_options("'self' https://portal.example.org") == {
        "samesite": "None",
        "secure": True,
    }
    c = voila_config(
        ServeOptions(
            notebook=tmp_path / "n.ipynb",
            texts=TEXTS,
            base_url="/back-pain/",
            frame_ancestors="self https://portal.example.org",
        )
    )
    assert c.Voila.base_url == "/back-pain/"
    assert c.CamVoila.frame_ancestors == "'self' https://portal.example.org"
    assert c.IdentityProvider.cookie_options == {"samesite": "None", "secure": True}


@pytest.mark.parametrize(
    "bad",
    [
        {"base_url": "back-pain"},  # not normalised
        {"frame_ancestors": "*"},
        {"metrics_port": 8866},  # the page's port
        {"metrics_port": 70000},
        {"log_format": "xml"},
        {"drain_s": -1},
    ],
)
def test_impossible_deployment_options_are_refused(tmp_path, bad):
    with pytest.raises(ValueError):
        ServeOptions(notebook=tmp_path / "n.ipynb", texts=TEXTS, **bad)


def test_serve_refuses_junk_frame_ancestors_with_exit_2(capsys):
    with pytest.raises(SystemExit) as done:
        main(["serve", "--port", "1", "--frame-ancestors", "*"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "would let any site frame the page" in err and "Traceback" not in err


# -- config file and environment ------------------------------------------------------------


def write(tmp_path, text: str):
    path = tmp_path / "serve.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_command_line_beats_environment_beats_file_beats_defaults(tmp_path):
    path = write(
        tmp_path,
        'port = 9001\nmax-kernels = 40\nidle-minutes = 5\nbase-url = "back-pain"\n'
        'allowed-host = ["care.example.org"]\ncontent = "my-content"\n'
        "max-messages-per-second = 12.5\n",
    )
    args = serve_args("--config", str(path), "--port", "9003")
    settings = resolve(args, {"CAM_SERVE_PORT": "9002", "CAM_SERVE_MAX_KERNELS": "30"})
    assert settings["port"] == 9003  # command line
    assert settings["max-kernels"] == 30  # environment over file
    assert settings["idle-minutes"] == 5  # file
    assert settings["content"] == tmp_path / "my-content"  # relative to the file
    fields = serve_options(settings)
    assert fields["base_url"] == "/back-pain/" and fields["idle_timeout_s"] == 300
    assert fields["allowed_hosts"] == ("care.example.org",)
    assert fields["max_messages_per_s"] == 12.5
    assert "max_per_address" not in fields  # not given anywhere: ServeOptions' default
    assert resolve(serve_args(), {"CAM_SERVE_CONFIG": str(path)})["port"] == 9001


def test_every_setting_is_an_option_a_file_key_and_a_variable():
    parser_help = " ".join(
        next(
            a.choices["serve"]
            for a in build_parser()._actions
            if isinstance(a, argparse._SubParsersAction)
        )
        .format_help()
        .split()
    )
    for setting in SETTINGS:
        assert setting.option in parser_help
        assert setting.env == "CAM_SERVE_" + setting.key.upper().replace("-", "_")


def test_a_wrong_key_is_a_clear_error_with_the_near_miss(tmp_path):
    with pytest.raises(
        UsageError, match=r"unknown setting 'max_kernel'.*did you mean 'max-kernels'"
    ):
        read_config_file(write(tmp_path, "max_kernel = 3\n"))
    with pytest.raises(
        UsageError, match=r"unknown environment variable CAM_SERVE_PROT.*CAM_SERVE_PORT"
    ):
        resolve(serve_args(), {"CAM_SERVE_PROT": "9000"})


@pytest.mark.parametrize(
    "text, says",
    [
        ('port = "many"\n', "port: must be a whole number, not 'many'"),
        ("max-kernels = 0\n", "max-kernels: must be more than 0"),
        ('frame-ancestors = "*"\n', "frame-ancestors: frame-ancestors source '*'"),
        ("production = 1\n", "production: must be true or false"),
        ("max-messages-per-second = 0\n", "max-messages-per-second: must be more than 0"),
        ("port = \n", "not valid TOML"),
        ("[serve]\nport = 1\n", "unknown setting 'serve'"),
    ],
)
def test_a_wrong_value_names_the_key_and_the_file(tmp_path, text, says):
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        read_config_file(path)
    assert str(path) in str(caught.value) and says in str(caught.value)


def test_serve_with_a_broken_config_file_exits_2_without_traceback(tmp_path, capsys):
    for config, says in (
        (write(tmp_path, "max_kernel = 3\n"), "did you mean 'max-kernels'"),
        (tmp_path / "missing.toml", "config file not found"),
    ):
        with pytest.raises(SystemExit) as done:
            main(["serve", "--config", str(config)])
        assert done.value.code == 2
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err


# -- readiness and the drain ----------------------------------------------------------------


class FakeManager:
    max_kernels = 5

    def __init__(self, preheated=1, projected=2, ago=None, connected=0):
        self.preheated, self.projected, self.connected = preheated, projected, connected
        self.ago = ago

    @property
    def last_preheated_start(self):
        """Seconds ago as the test runs (parameters are made long before, at collection)."""
        return None if self.ago is None else time.monotonic() - self.ago

    def preheated_kernel_count(self):
        return self.preheated

    def projected_kernel_count(self):
        return self.projected

    def connected_kernel_count(self):
        return self.connected


@pytest.mark.parametrize(
    "manager, pool, draining, expected",
    [
        (FakeManager(), 2, False, (True, "ready")),
        (FakeManager(projected=4), 2, False, (True, "ready")),
        (FakeManager(projected=5), 2, False, (False, "kernel cap reached")),
        (FakeManager(preheated=0), 2, False, (False, "no preheated kernel yet")),
        (FakeManager(preheated=0, ago=5), 2, False, (True, "ready")),
        (
            FakeManager(preheated=0, ago=600),
            2,
            False,
            (False, "no preheated kernel started for 60 s"),
        ),
        (FakeManager(preheated=0), 0, False, (True, "ready")),
        (FakeManager(), 2, True, (False, "draining")),
    ],
)
def test_readiness(manager, pool, draining, expected):
    state = ServerState(draining_since=time.monotonic() if draining else None)
    assert readiness(manager, state, pool) == expected


def test_a_drain_waits_for_open_sessions_then_stops_and_a_second_sigterm_stops_at_once():
    async def scenario(open_counts, seconds, second_signal=False):
        counts = iter(open_counts)
        stopped = []
        state = ServerState()
        drain = Drain(
            state,
            lambda: next(counts, 0),
            lambda: stopped.append(True),
            seconds,
            logging.getLogger("t"),
        )
        drain.signal()
        assert state.draining
        if second_signal:
            drain.signal()
        await asyncio.sleep(0.01)
        while not stopped:
            await asyncio.sleep(0.05)
        return state

    import cam_workbench.serving.operations as operations

    poll, operations.DRAIN_POLL_S = operations.DRAIN_POLL_S, 0.01
    try:
        assert not run_async(scenario([1, 1, 1, 2, 1, 0], 60)).stop_now
        run_async(scenario([1] * 10**6, 0.2))  # time up with a session still open
        assert run_async(scenario([1] * 10**6, 60, second_signal=True)).stop_now
    finally:
        operations.DRAIN_POLL_S = poll


# -- metrics and log lines -------------------------------------------------------------------


def test_metrics_count_events_and_read_the_manager_at_each_scrape():
    metrics = ServerMetrics(review_due_s=1_800_000_000.0)
    metrics.manager = type(
        "M",
        (),
        {
            "max_kernels": 60,
            "live_kernel_count": lambda self: 7,
            "preheated_kernel_count": lambda self: 2,
            "connected_kernel_count": lambda self: 4,
            "websocket_count": lambda self: 5,
        },
    )()
    metrics.kernel_started(0.8, preheated=True)
    metrics.kernel_culled("idle")
    metrics.kernel_culled("a visitor's text")  # never a free-form label
    metrics.page_answered(200)
    metrics.page_answered(503)
    metrics.page_answered(404)
    text = metrics.exposition().decode()
    for line in (
        "cam_kernels_live 7.0",
        "cam_kernels_preheated 2.0",
        "cam_kernels_connected 4.0",
        "cam_kernels_max 60.0",
        "cam_websocket_sessions 5.0",
        "cam_pages_served_total 1.0",
        "cam_busy_pages_total 1.0",
        'cam_kernel_culls_total{reason="idle"} 1.0',
        'cam_kernel_culls_total{reason="dead"} 1.0',
        'cam_kernel_start_seconds_bucket{kind="preheated",le="1.0"} 1.0',
        "cam_content_review_due_timestamp_seconds 1.8e+09",
    ):
        assert line in text, line
    assert "visitor" not in text and "_created" not in text


def test_json_log_lines_follow_the_text_logs_privacy_rules():
    logger = logging.getLogger("cam-test-json")
    record = logger.makeRecord(
        logger.name,
        logging.INFO,
        __file__,
        1,
        "%d %s %s",
        (200, "GET", "/back-pain/?note=pain%209 from 198.51.100.4"),
        None,
    )
    assert PrivacyLogFilter().filter(record)
    entry = json.loads(JsonLogFormatter().format(record))
    assert set(entry) == {"time", "level", "logger", "message"}
    assert entry["level"] == "info" and entry["message"].startswith("200 GET /back-pain/?…")
    assert "pain%209" not in entry["message"] and "198.51.100.4" not in entry["message"]
    try:
        raise ValueError("line one\nline two")
    except ValueError:
        import sys

        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = JsonLogFormatter().format(record)
    assert "\n" not in line and "line two" in json.loads(line)["exception"]
