"""Every ``serve`` setting, from the command line, the environment or a TOML file.

One table (:data:`SETTINGS`) names each setting once: its command-line option, its key in a
config file (the option without ``--``), its environment variable (``CAM_SERVE_`` and the key
in capitals, ``-`` as ``_``), how its value is read and checked, and its help. Precedence,
highest first: the command line, the environment, the config file (``--config FILE`` or
``$CAM_SERVE_CONFIG``), the defaults (:class:`~cam_workbench.serving.options.ServeOptions`).

A wrong key in the file or a ``CAM_SERVE_`` variable that names no setting is a usage error
with the near-miss spelling; a wrong value names the key and where it came from.
"""

from __future__ import annotations

import argparse
import difflib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cam_workbench.cli.common import UsageError

ENV_PREFIX: Final = "CAM_SERVE_"
CONFIG_ENV: Final = "CAM_SERVE_CONFIG"
CONTENT_KEY: Final = "content"


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"must be a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"must be a whole number, not {value!r}") from None


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, not {value!r}") from None


def port(value: Any) -> int:
    """A TCP port, 1 to 65535."""
    number = _whole(value)
    if not 1 <= number <= 65535:
        raise ValueError(f"must be between 1 and 65535, not {number}")
    return number


def positive_int(value: Any) -> int:
    """A whole number above 0."""
    number = _whole(value)
    if number <= 0:
        raise ValueError(f"must be more than 0, not {number}")
    return number


def positive(value: Any) -> float:
    """A number above 0."""
    number = _number(value)
    if number <= 0:
        raise ValueError(f"must be more than 0, not {value}")
    return number


def not_negative(value: Any) -> int:
    """A whole number, 0 or more."""
    number = _whole(value)
    if number < 0:
        raise ValueError(f"must be 0 or more, not {number}")
    return number


def text(value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty text, not {value!r}")
    return value.strip()


def flag(value: Any) -> bool:
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no`` in the environment)."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):  # a TOML number: say true or false
        raise ValueError(f"must be true or false, not {value!r}")
    word = value.strip().lower()
    if word in ("true", "1", "yes", "on"):
        return True
    if word in ("false", "0", "no", "off", ""):
        return False
    raise ValueError(f"must be true or false, not {value!r}")


def _base_url(value: Any) -> str:
    from cam_workbench.serving.placement import normal_base_url

    return normal_base_url(text(value))


def _frame_ancestors(value: Any) -> str:
    from cam_workbench.serving.placement import frame_ancestors_directive

    if isinstance(value, list):
        value = " ".join(text(v) for v in value)
    return frame_ancestors_directive(text(value))


def _log_format(value: Any) -> str:
    word = text(value).lower()
    if word not in ("text", "json"):
        raise ValueError(f"must be text or json, not {value!r}")
    return word


@dataclass(frozen=True)
class Setting:
    """One ``serve`` setting."""

    key: str
    """Config-file key; the option is ``--key``; the variable ``CAM_SERVE_KEY``."""
    parse: Callable[[Any], Any]
    """Reads and checks one value (raises ValueError with what is wrong)."""
    help: str
    metavar: str | None = None
    kind: str = "value"
    """``value``, ``flag`` (an on/off switch) or ``list`` (repeatable)."""
    field: str | None = None
    """The ServeOptions field (``None``: the command uses it itself)."""
    convert: Callable[[Any], Any] | None = None
    """From the setting's unit to the field's (hours to seconds)."""

    @property
    def option(self) -> str:
        """The command-line option."""
        return f"--{self.key}"

    @property
    def env(self) -> str:
        """The environment variable."""
        return ENV_PREFIX + self.key.upper().replace("-", "_")


def _hours(value: float) -> int:
    return max(1, round(value * 3600))


def _minutes(value: float) -> int:
    return max(1, round(value * 60))


def _negate(value: bool) -> bool:
    return not value


SETTINGS: Final[tuple[Setting, ...]] = (
    Setting(
        "production",
        flag,
        "refuse to start unless every patient file is approved and unchanged",
        kind="flag",
    ),
    Setting("host", text, "address to bind (default 127.0.0.1)", "H", field="host"),
    Setting("port", port, "port (default 8866)", "N", field="port"),
    Setting(
        "max-kernels",
        positive_int,
        "most patient sessions at once; past it a 'busy' page (default 60)",
        "N",
        field="max_kernels",
    ),
    Setting(
        "workshop",
        flag,
        "serve the educators' workshop notebook as slides instead of the patient page",
        kind="flag",
    ),
    Setting(
        "no-fork-kernels",
        flag,
        "start each patient kernel as a new process instead of forking it from a pre-loaded "
        "one (more memory and CPU per patient; for debugging)",
        kind="flag",
        field="fork_kernels",
        convert=_negate,
    ),
    Setting(
        "allowed-host",
        text,
        "a host name browsers use to reach the server (repeatable); requests naming any other "
        "host are refused (default: the bound address, localhost, 127.0.0.1, [::1])",
        "NAME",
        kind="list",
        field="allowed_hosts",
        convert=tuple,
    ),
    Setting(
        "trusted-proxy",
        text,
        "address of a reverse proxy whose X-Forwarded-For names the client (repeatable; "
        "default: none, the header is ignored)",
        "ADDR",
        kind="list",
        field="trusted_proxies",
        convert=tuple,
    ),
    Setting(
        "max-per-address",
        positive_int,
        "most sessions one client address may hold; past it a 'busy' page (default 20)",
        "N",
        field="max_per_address",
    ),
    Setting(
        "max-messages-per-second",
        positive,
        "most websocket messages a page may send a second (four seconds' worth at once); "
        "past it they are dropped (default 50; the page sends a few, one per click)",
        "N",
        field="max_messages_per_s",
    ),
    Setting(
        "max-session-hours",
        positive,
        "a session ends this long after it started, active or not (default 3)",
        "H",
        field="max_session_s",
        convert=_hours,
    ),
    Setting(
        "idle-minutes",
        positive,
        "a session with no patient activity for this long ends (default 10)",
        "M",
        field="idle_timeout_s",
        convert=_minutes,
    ),
    Setting(
        "base-url",
        _base_url,
        "path prefix of every URL, for a reverse proxy that mounts the server there, e.g. "
        "/back-pain/ (default /)",
        "PATH",
        field="base_url",
    ),
    Setting(
        "frame-ancestors",
        _frame_ancestors,
        "who may show the page in a frame: 'self', 'none' or portal origins such as "
        "https://portal.example.org, separated by spaces (default 'self')",
        "SOURCES",
        field="frame_ancestors",
    ),
    Setting(
        "metrics-port",
        port,
        "serve /metrics on this port instead of under the base URL (default: under the base "
        "URL, to loopback clients only)",
        "N",
        field="metrics_port",
    ),
    Setting(
        "metrics-host",
        text,
        "address of the metrics port (default 127.0.0.1)",
        "H",
        field="metrics_host",
    ),
    Setting(
        "log-format",
        _log_format,
        "text, or json: one object per line for log shippers (default text)",
        "FORMAT",
        field="log_format",
    ),
    Setting(
        "drain-seconds",
        not_negative,
        "on SIGTERM, refuse new visits and wait this long for open sessions (default 60)",
        "S",
        field="drain_s",
    ),
)
"""Every setting, in the order ``serve --help`` lists them."""

BY_KEY: Final = {s.key: s for s in SETTINGS}
BY_ENV: Final = {s.env: s for s in SETTINGS}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every setting as an option (default ``None``: not given), and ``--config FILE``."""
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"read settings from this TOML file (also ${CONFIG_ENV}); the command line and "
        f"{ENV_PREFIX}* variables take precedence",
    )
    for setting in SETTINGS:
        if setting.kind == "flag":
            parser.add_argument(
                setting.option, action="store_true", default=None, help=setting.help
            )
            continue
        parser.add_argument(
            setting.option,
            type=_argparse_type(setting),
            action="append" if setting.kind == "list" else "store",
            default=None,
            metavar=setting.metavar,
            help=setting.help,
        )


def _argparse_type(setting: Setting) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            return setting.parse(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{setting.option} {exc}") from None

    return parse


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _parse(setting: Setting, value: Any, where: str) -> Any:
    try:
        if setting.kind == "list":
            items = value if isinstance(value, list) else str(value).split(",")
            return [setting.parse(item) for item in items if str(item).strip()]
        return setting.parse(value)
    except ValueError as exc:
        raise UsageError(f"{where}: {setting.key}: {exc}") from None


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings of a TOML file, each checked; ``content`` resolved against its folder.

    Raises:
        UsageError: the file is missing or not TOML, a key is no setting, a value is wrong.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    found: dict[str, Any] = {}
    keys = [*BY_KEY, CONTENT_KEY]
    for key, value in raw.items():
        if key == CONTENT_KEY:
            folder = Path(text(value)) if isinstance(value, str) and value.strip() else None
            if folder is None:
                raise UsageError(f"{path}: content must be a folder's path, not {value!r}")
            found[CONTENT_KEY] = folder if folder.is_absolute() else path.parent / folder
            continue
        setting = BY_KEY.get(key)
        if setting is None:
            raise UsageError(
                f"{path}: unknown setting {key!r}{_suggest(key, keys)}; the settings are the "
                "options of 'cam-workbench serve --help' without '--'"
            )
        if isinstance(value, dict):
            raise UsageError(f"{path}: {key} must be a value, not a table")
        found[key] = _parse(setting, value, str(path))
    return found


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings of ``CAM_SERVE_*`` variables, each checked.

    Raises:
        UsageError: a ``CAM_SERVE_`` variable that names no setting, or a wrong value.
    """
    found: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        setting = BY_ENV.get(name)
        if setting is None:
            raise UsageError(
                f"unknown environment variable {name}{_suggest(name, [*BY_ENV, CONFIG_ENV])}"
            )
        found[setting.key] = _parse(setting, value, name)
    return found


def resolve(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, Any]:
    """Every setting given anywhere, by key: command line > environment > file.

    ``content`` is there only when the file names it (``--content`` and
    ``$CAM_WORKBENCH_CONTENT`` are read by the command, and come first).
    """
    path = args.config or (Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else None)
    settings = read_config_file(path) if path is not None else {}
    settings.update(read_environment(environ))
    for setting in SETTINGS:
        given = getattr(args, setting.key.replace("-", "_"), None)
        if given is not None:
            settings[setting.key] = given
    return settings


def serve_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`ServeOptions` fields these settings give (the rest keep their defaults)."""
    fields: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.field is None or setting.key not in settings:
            continue
        value = settings[setting.key]
        fields[setting.field] = setting.convert(value) if setting.convert else value
    return fields
