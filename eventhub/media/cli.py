"""`flask media …`: the local Janus for `make run` (config under instance/janus/, started as a daemon)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import click
from flask import Flask, current_app

from eventhub.media import launcher

INSTALL_HINT = ("stage unavailable: install Janus and coturn (apt-get install janus coturn libjs-janus-gateway "
                "libjs-webrtc-adapter) and run `make run` again")


def _dir() -> Path:
    return Path(current_app.instance_path) / "janus"


def _setup(http_port: int, admin_port: int) -> launcher.JanusSetup:
    old = launcher.load_setup(_dir())
    setup = launcher.JanusSetup(
        config_dir=str(_dir()), http_port=http_port, admin_port=admin_port,
        session_timeout=int(current_app.config["JANUS_SESSION_TIMEOUT"]))
    if old is not None:  # keep the secrets across restarts (the app may still hold them)
        setup.api_secret, setup.admin_secret = old.api_secret, old.admin_secret
    return setup


def _stop_previous(pidfile: Path) -> None:
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"janus" in cmdline and str(_dir()).encode() in cmdline:  # only the Janus we started, never another
        os.kill(pid, signal.SIGTERM)


def register(app: Flask) -> None:
    @app.cli.group("media")
    def media() -> None:
        """The local Janus media server (docs/stage.md)."""

    @media.command("janus-config")
    @click.option("--http-port", default=8088, envvar="JANUS_HTTP_PORT")
    @click.option("--admin-port", default=7088, envvar="JANUS_ADMIN_PORT")
    def janus_config(http_port: int, admin_port: int) -> None:
        """Generate instance/janus/ (janus.jcfg and friends) from a copy of /etc/janus."""
        setup = launcher.write_config(_setup(http_port, admin_port))
        click.echo(f"Janus config in {setup.config_dir}")

    @media.command("run-janus")
    @click.option("--http-port", default=8088, envvar="JANUS_HTTP_PORT")
    @click.option("--admin-port", default=7088, envvar="JANUS_ADMIN_PORT")
    @click.option("--background/--foreground", default=True)
    def run_janus(http_port: int, admin_port: int, background: bool) -> None:
        """Start the local Janus (regenerating its config) and point the app at it (instance/janus/servers.json).
        Without Janus installed: one line saying what to install, and the stage stays unavailable."""
        servers = _dir() / "servers.json"
        if not launcher.janus_installed():
            servers.unlink(missing_ok=True)
            click.echo(INSTALL_HINT)
            return
        setup = launcher.write_config(_setup(http_port, admin_port))
        pidfile = _dir() / "janus.pid"
        _stop_previous(pidfile)
        if not background:
            servers.write_text(json.dumps([setup.server_entry()]))
            os.execv(launcher.JANUS_BIN, launcher.janus_argv(setup))  # noqa: S606 (fixed argv, no shell)
        try:
            proc = launcher.start(setup)
        except RuntimeError as exc:
            servers.unlink(missing_ok=True)
            click.echo(f"stage unavailable: Janus did not start ({str(exc).splitlines()[0]})")
            return
        pidfile.write_text(str(proc.pid))
        servers.write_text(json.dumps([setup.server_entry()]))
        servers.chmod(0o600)
        click.echo(f"Janus {setup.url} (pid {proc.pid}, log {setup.log_path})")

    @media.command("stop-janus")
    def stop_janus() -> None:
        """Stop the local Janus started by run-janus."""
        _stop_previous(_dir() / "janus.pid")
        (_dir() / "servers.json").unlink(missing_ok=True)



