"""The patient server's hardening, unit by unit (the live server is in tests/e2e/)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timedelta

import pytest
from helpers import CONTENT
from jupyter_client.session import Session
from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

from cam_workbench.cli import main
from cam_workbench.serving import ServeOptions, ServerTexts, voila_config
from cam_workbench.serving.channels import TokenBucket, keep_outgoing, parse_incoming
from cam_workbench.serving.http import (
    PrivacyLogFilter,
    allowed_hosts,
    client_address,
    content_security_policy,
    forwarded_by_untrusted,
    host_allowed,
    redact,
    trusted_proxy_set,
)
from cam_workbench.serving.sessions import SessionBook, Visitor

NOW = datetime(2026, 11, 30, 12, 0, 0)
TEXTS = ServerTexts("t", "busy", "busy.", "error", "error.", "lost.")
PACK = Session().pack


# -- who owns a kernel ----------------------------------------------------------------------


def test_a_page_handed_on_is_its_new_holders_alone_and_the_first_session_owns_it():
    book = SessionBook()
    first, second, stranger = (Visitor(n, "10.0.0.1") for n in ("first", "second", "stranger"))
    book.hand_out("k", first, NOW)
    assert book.may_see("k", "first") and book.may_shut_down("k", "first")
    book.hand_out("k", second, NOW)  # a flood: the page was handed on
    assert book.holder("k") == second
    assert not book.may_see("k", "first") and not book.may_shut_down("k", "first")
    assert not book.claim("k", first, "tab-1", NOW)  # the earlier holder lost it
    assert not book.claim("k", stranger, "s", NOW)
    assert book.claim("k", second, "tab-2", NOW)
    assert not book.claim("k", second, "tab-3", NOW)  # another tab of the owner's browser
    assert book.claim("k", second, "tab-2", NOW)  # the same page reconnecting
    book.hand_out("k", first, NOW)  # once owned, a page goes to nobody else
    assert book.holder("k") is None and not book.claim("k", first, "tab-1", NOW)
    assert not book.may_see("k", "first") and book.may_see("k", "second")
    assert not book.may_shut_down("k", "first") and book.may_shut_down("k", "second")
    assert not book.may_see("k", "") and not book.claim("k", Visitor("", "x"), "s", NOW)


def test_the_holder_may_end_a_page_nobody_connected_to():
    book = SessionBook()
    book.hand_out("k", Visitor("me", "a"), NOW)
    assert book.may_shut_down("k", "me")
    assert not book.may_shut_down("k", "someone else")
    assert not book.may_shut_down("unknown", "me")


def test_an_address_holds_what_it_was_handed_until_someone_owns_it():
    book = SessionBook()
    book.hand_out("k1", Visitor("a", "10.0.0.1"), NOW)
    book.hand_out("k2", Visitor("b", "10.0.0.1"), NOW)
    book.hand_out("k3", Visitor("c", "10.0.0.2"), NOW)
    assert book.held_by("10.0.0.1") == 2 and book.held_by("10.0.0.2") == 1
    book.claim("k2", Visitor("b", "10.0.0.1"), "s", NOW)
    assert book.held_by("10.0.0.1") == 2  # k2 is owned by a session of 10.0.0.1 now
    book.forget("k1")
    assert book.held_by("10.0.0.1") == 1


def test_only_an_update_or_click_on_a_widget_of_the_page_is_activity():
    book = SessionBook()
    book.hand_out("k", Visitor("a", "x"), NOW)
    book.add_widget_comms("k", ["box", "button"])
    assert book.is_widget_activity("k", "box", {"method": "update", "state": {"value": True}})
    assert book.is_widget_activity("k", "button", {"method": "custom", "content": {"event": "c"}})
    assert not book.is_widget_activity("k", "other", {"method": "update", "state": {"v": 1}})
    assert not book.is_widget_activity("k", "box", {"method": "update", "state": {}})
    assert not book.is_widget_activity("k", "box", {"method": "request_state"})
    assert not book.is_widget_activity("k", "box", "update")
    book.remove_widget_comm("k", "box")
    assert not book.is_widget_activity("k", "box", {"method": "update", "state": {"v": 1}})
    book.note_activity("k", NOW + timedelta(minutes=5))
    assert book.get("k").activity == NOW + timedelta(minutes=5)


def test_a_page_may_open_only_a_few_comms():
    book = SessionBook()
    book.hand_out("k", Visitor("a", "x"), NOW)
    assert [book.allow_client_comm("k", 3) for _ in range(5)] == [True] * 3 + [False] * 2
    assert not book.allow_client_comm("never-handed-out", 3)


# -- Host header, client address, headers ---------------------------------------------------


def test_host_names_allowed_by_default_and_by_option():
    allowed = allowed_hosts("127.0.0.1", ["Clinic.Example"])
    for host in ("localhost:8866", "127.0.0.1", "[::1]:8866", "clinic.example:443", "LOCALHOST"):
        assert host_allowed(host, allowed), host
    for host in ("evil.example", "127.0.0.1.evil.example", "localhost.evil", "", "a b", "[::1"):
        assert not host_allowed(host, allowed), host
    with pytest.raises(ValueError, match="not a host name"):
        allowed_hosts("127.0.0.1", ["http://clinic.example/"])


def test_x_forwarded_for_counts_only_from_a_trusted_proxy():
    trusted = trusted_proxy_set(["127.0.0.1", "::1"])
    assert client_address("10.1.1.1", "203.0.113.5", trusted) == "10.1.1.1"  # not a proxy
    assert client_address("127.0.0.1", "203.0.113.5", trusted) == "203.0.113.5"
    assert client_address("127.0.0.1", "6.6.6.6, 203.0.113.5", trusted) == "203.0.113.5"
    assert client_address("127.0.0.1", "203.0.113.5, 127.0.0.1", trusted) == "203.0.113.5"
    assert client_address("127.0.0.1", "junk", trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", None, trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", "203.0.113.5", frozenset()) == "127.0.0.1"
    with pytest.raises(ValueError, match="not an IP address"):
        trusted_proxy_set(["proxy.local"])


def test_x_forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_is_noticed():
    trusted = trusted_proxy_set(["127.0.0.1"])
    assert forwarded_by_untrusted("10.1.1.1", "203.0.113.5", trusted)
    assert forwarded_by_untrusted("10.1.1.1", "", frozenset())
    assert not forwarded_by_untrusted("127.0.0.1", "203.0.113.5", trusted)
    assert not forwarded_by_untrusted("10.1.1.1", None, trusted)


def test_the_content_security_policy_allows_no_inline_script_and_no_framing_by_others():
    csp = content_security_policy("'self'", "clinic.example")
    directives = dict(d.split(" ", 1) for d in csp.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'self'"
    assert "wss://clinic.example" in directives["connect-src"]
    assert directives["object-src"] == "'none'"


# -- the log --------------------------------------------------------------------------------


def test_redact_removes_query_strings_and_addresses_but_keeps_ours():
    line = "403 GET /api/kernels/x/channels?session_id=s&token=PAIN (203.0.113.7) from ::ffff:1"
    clean = redact(line)
    assert "PAIN" not in clean and "203.0.113.7" not in clean and "::ffff:1" not in clean
    assert "/api/kernels/x/channels" in clean
    assert redact("Voilà is running at http://127.0.0.1:8866/", frozenset({"127.0.0.1"})) == (
        "Voilà is running at http://127.0.0.1:8866/"
    )
    assert redact("took 10:43:46 for kernel 9e6933be-2e9b-4e69") == (
        "took 10:43:46 for kernel 9e6933be-2e9b-4e69"
    )


def test_the_log_filter_drops_tracebacks_and_kernel_messages():
    log_filter = PrivacyLogFilter()
    try:
        raise ValueError("embedded null byte in /x?secret=1")
    except ValueError:
        record = logging.LogRecord(
            "tornado.application", logging.ERROR, __file__, 1, "Uncaught exception GET %s (%s)",
            ("/x?secret=1", "198.51.100.4"), sys.exc_info(),
        )  # fmt: skip
    assert log_filter.filter(record)
    text = logging.Formatter().format(record)
    assert "Traceback" not in text and "secret" not in text and "198.51.100.4" not in text
    assert "ValueError" in text
    dropped = logging.LogRecord("x", logging.WARNING, "", 1, "Malformed message: %r", ([1],), None)
    assert not log_filter.filter(dropped)


# -- the kernel websocket's filter ----------------------------------------------------------


def v1(msg_type: str, content: dict, channel: str = "shell") -> bytes:
    header = {"msg_type": msg_type, "msg_id": "m", "session": "s", "username": "", "date": ""}
    parts = [PACK(header), PACK({}), PACK({}), PACK(content)]
    return serialize_msg_to_ws_v1(parts, channel)


def test_incoming_messages_are_parsed_in_both_protocols_and_junk_is_refused():
    found = parse_incoming(v1("comm_msg", {"comm_id": "c", "data": {}}), True, Session().unpack)
    assert (found.channel, found.msg_type, found.content["comm_id"]) == ("shell", "comm_msg", "c")
    legacy = {
        "channel": "shell",
        "header": {"msg_type": "comm_open"},
        "parent_header": {},
        "metadata": {},
        "content": {"comm_id": "c"},
    }
    assert parse_incoming(json.dumps(legacy), False, Session().unpack).msg_type == "comm_open"
    huge = (2**60).to_bytes(8, "little") + b"\x00" * 64  # claims 2**60 parts
    legacy_huge = (2**31 - 1).to_bytes(4, "big") + b"\x00" * 64
    for junk, is_v1 in (
        (huge, True),  # jupyter_server's parser would build a list of 2**60 offsets
        (legacy_huge, False),
        (b"\x00\x01 not a message", True),
        ("text on the v1 protocol", True),
        ("{not json", False),
        ('{"channel": "shell", "header": []}', False),
        ("[1, 2]", False),
    ):
        with pytest.raises(Exception):  # noqa: B017 - any parser error: the message is dropped
            parse_incoming(junk, is_v1, Session().unpack)


def test_the_message_rate_allows_a_burst_then_the_rate():
    now = [0.0]
    bucket = TokenBucket(rate=50, burst=200, clock=lambda: now[0])
    assert sum(bucket.take() for _ in range(1000)) == 200  # a burst, then nothing
    now[0] += 1.0
    assert sum(bucket.take() for _ in range(1000)) == 50  # a second later: a second's worth
    now[0] += 60.0
    assert sum(bucket.take() for _ in range(1000)) == 200  # never more than the burst


def test_stderr_and_tracebacks_never_go_to_the_page():
    def parts(msg_type: str, content: dict) -> list[bytes]:
        return [PACK({"msg_type": msg_type}), PACK({}), PACK({}), PACK(content)]

    keep = [
        keep_outgoing(parts(t, c), Session().unpack)[0]
        for t, c in (
            ("stream", {"name": "stderr", "text": "No such comm: x\n"}),
            ("stream", {"name": "stdout", "text": "Traceback (most recent call last):\n"}),
            ("stream", {"name": "stdout", "text": "chosen: fever\n"}),
            ("comm_open", {"comm_id": "c", "target_name": "jupyter.widget"}),
            ("status", {"execution_state": "idle"}),
        )
    ]
    assert keep == [False, False, True, True, True]


# -- options --------------------------------------------------------------------------------


def test_the_hardening_options_reach_the_configuration(tmp_path):
    options = ServeOptions(
        notebook=tmp_path / "n.ipynb",
        texts=TEXTS,
        allowed_hosts=("clinic.example",),
        trusted_proxies=("127.0.0.1",),
        max_per_address=5,
        max_session_s=3600,
        max_message_bytes=1000,
        max_client_comms=3,
        max_messages_per_s=20,
        max_unconnected_per_address=2,
    )
    c = voila_config(options)
    assert "clinic.example" in c.CamVoila.allowed_hosts and "localhost" in c.CamVoila.allowed_hosts
    assert c.CamVoila.trusted_proxies == ["127.0.0.1"]
    assert c.CamVoila.frame_ancestors == "'self'"
    assert c.CamVoila.max_message_bytes == 1000
    assert c.CappedKernelManager.max_per_address == 5
    assert c.CappedKernelManager.max_session == 3600
    assert c.CappedKernelManager.max_client_comms == 3
    assert c.CappedKernelManager.max_messages_per_s == 20
    assert c.CappedKernelManager.max_unconnected_per_address == 2
    assert c.IdentityProvider.cookie_options["samesite"] == "Strict"
    defaults = ServeOptions(notebook=tmp_path / "n.ipynb", texts=TEXTS)
    assert 2 * 3600 <= defaults.max_session_s <= 4 * 3600
    assert defaults.max_per_address >= 20
    assert 64 * 1024 <= defaults.max_message_bytes <= 1024 * 1024
    # Well above the real page: 4 messages at start-up, ~45 a second typing at machine speed.
    assert defaults.max_messages_per_s >= 50
    assert 1 < defaults.max_unconnected_per_address < defaults.max_unconnected


@pytest.mark.parametrize(
    "bad",
    [
        {"allowed_hosts": ("http://x/",)},
        {"trusted_proxies": ("proxy",)},
        {"max_per_address": 0},
        {"max_session_s": 0},
        {"max_message_bytes": 0},
        {"max_client_comms": 0},
        {"max_messages_per_s": 0},
        {"max_unconnected_per_address": 0},
    ],
)
def test_impossible_hardening_options_are_refused(tmp_path, bad):
    with pytest.raises(ValueError):
        ServeOptions(notebook=tmp_path / "n.ipynb", texts=TEXTS, **bad)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--max-per-address", "0"], "--max-per-address must be more than 0"),
        (["--max-session-hours", "soon"], "--max-session-hours must be a number"),
        (["--idle-minutes", "-1"], "--idle-minutes must be more than 0"),
        (["--max-messages-per-second", "0"], "--max-messages-per-second must be more than 0"),
        (["--allowed-host", "http://clinic.example/"], "not a host name"),
        (["--trusted-proxy", "proxy.local"], "not an IP address"),
    ],
)
def test_serve_refuses_bad_hardening_options_with_exit_2(args, expected, capsys):
    with pytest.raises(SystemExit) as done:
        main(["serve", "--content", str(CONTENT), "--port", "1", *args])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_the_message_rate_option_reaches_the_server_and_its_help_names_the_default():
    import argparse

    from cam_workbench.cli import build_parser, serve_settings

    def options(argv: list[str], environ: dict[str, str]) -> dict[str, object]:
        args = parser.parse_args(["serve", *argv])
        return serve_settings.serve_options(serve_settings.resolve(args, environ))

    parser = build_parser()
    assert options(["--max-messages-per-second", "12.5"], {})["max_messages_per_s"] == 12.5
    assert options([], {"CAM_SERVE_MAX_MESSAGES_PER_SECOND": "7"})["max_messages_per_s"] == 7
    assert "max_messages_per_s" not in options([], {})
    serve = next(
        action.choices["serve"]
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    default = ServeOptions.__dataclass_fields__["max_messages_per_s"].default
    assert f"(default {default:g};" in " ".join(serve.format_help().split())
