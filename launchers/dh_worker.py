#!/usr/bin/env python3
"""Worker-side entry point for a Deephaven Community Core worker started by dh-mcp.

Runs the embedded server of the PyPI package deephaven-server, in a venv or inside a worker image, and keeps one
small contract with the orchestrator:

* configuration comes from the environment (DH_WORKER_*), secrets from the first line of stdin (or DH_WORKER_PSK),
  so a token never appears in a process listing or in `docker inspect`;
* JVM arguments come as a JSON array (DH_WORKER_JVM_ARGS), so arguments may hold spaces; START_OPTS / JAVA_OPTS /
  EXTRA_CLASSPATH of the official images are honoured too;
* progress is reported as single lines `DH-WORKER {json}` on stdout: `starting`, then `ready` (with the bound port)
  or `error` (with a message); nothing secret is ever printed;
* SIGTERM, SIGINT and SIGHUP stop the server cleanly (exit 0); with DH_WORKER_EXIT_ON_STDIN_EOF=1 the worker also
  stops when its stdin closes, i.e. when the process that launched it is gone;
* DH_WORKER_CDS_DIR (directories, os.pathsep-separated) may hold a class-data sharing archive made for this
  Deephaven install and JVM (launchers/dh_cds.py); when one matches, the JVM maps it and boots faster. The ready
  line says which sharing the JVM ended up with ("cds": "archive", "default" or "off"). DH_WORKER_CDS=off skips it.
"""

import json
import os
import shlex
import signal
import sys
import threading
import time

MARKER = "DH-WORKER "
PSK_HANDLER = "io.deephaven.authentication.psk.PskAuthenticationHandler"
ANONYMOUS_HANDLER = "io.deephaven.auth.AnonymousAuthenticationHandler"

# The embedded server tees sys.stdout into its log buffer; protocol lines go to the untouched original stream.
_protocol_out = sys.stdout
_started = time.monotonic()


def emit(event, **fields):
    fields = {"event": event, "pid": os.getpid(), "elapsed_ms": int((time.monotonic() - _started) * 1000), **fields}
    _protocol_out.write(MARKER + json.dumps(fields, separators=(",", ":")) + "\n")
    _protocol_out.flush()


def fail(message, code=2):
    emit("error", message=message)
    sys.exit(code)


def env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def read_jvm_args():
    args = []
    raw = os.environ.get("DH_WORKER_JVM_ARGS")
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError as e:
            fail(f"DH_WORKER_JVM_ARGS is not valid JSON: {e}")
        if not isinstance(parsed, list) or not all(isinstance(a, str) for a in parsed):
            fail("DH_WORKER_JVM_ARGS must be a JSON array of strings")
        args.extend(parsed)
    if os.environ.get("START_OPTS"):
        args.extend(shlex.split(os.environ["START_OPTS"]))
    return args


def read_psk():
    """The PSK from DH_WORKER_PSK (removed from our environment at once) or from the first line of stdin."""
    psk = os.environ.pop("DH_WORKER_PSK", None)
    if psk is None and os.environ.get("DH_WORKER_SECRETS") == "stdin":
        line = sys.stdin.readline()
        if not line:
            fail("expected the PSK on stdin (DH_WORKER_SECRETS=stdin) but stdin was closed")
        psk = line.rstrip("\r\n")
    if psk is not None:
        if not psk or any(c.isspace() for c in psk) or not psk.isascii():
            fail("the PSK must be a non-empty ASCII string without whitespace")
    return psk


def register_calendars(jvm_args, default_jvm_args, extra_classpath):
    """The embedded server registers the configured business calendars in start(), but a Groovy console's init
    script, run while the server is built, already asks for the default calendar. Register them early (and take
    them back before start(), which would reject duplicates). Starting the JVM here is safe: Server() reuses it."""
    from deephaven_server.start_jvm import start_jvm

    start_jvm(jvm_args=list(jvm_args), default_jvm_args=default_jvm_args, extra_classpath=extra_classpath)
    import jpy

    calendars = jpy.get_type("io.deephaven.time.calendar.Calendars")
    names = []
    for cal in calendars.calendarsFromConfiguration().toArray():
        calendars.addCalendar(cal)
        names.append(cal.name())
    return names


def unregister_calendars(names):
    if names:
        import jpy

        calendars = jpy.get_type("io.deephaven.time.calendar.Calendars")
        for name in names:
            calendars.removeCalendar(name)


def sharing_mode(archive):
    """'archive' when the JVM mapped our archive, 'default' when it runs on the JDK's own one, else 'off'. With
    -Xshare:auto a JVM that rejects the archive named to it runs without any sharing, so 'sharing' in java.vm.info
    after naming ours means ours is mapped."""
    try:
        import jpy

        info = jpy.get_type("java.lang.System").getProperty("java.vm.info") or ""
    except Exception:  # noqa: BLE001
        return None
    if "sharing" not in info:
        return "off"
    return "archive" if archive else "default"


def watch_stdin(stop):
    def run():
        try:
            while sys.stdin.readline():
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    threading.Thread(target=run, name="stdin-watch", daemon=True).start()


def redirect_output():
    # A worker that outlives its launcher writes to a file: its launcher's pipes close when the launcher exits.
    path = os.environ.get("DH_WORKER_LOG_FILE")
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def main():
    redirect_output()
    emit("starting")
    host = os.environ.get("DH_WORKER_HOST", "127.0.0.1")
    try:
        port = int(os.environ.get("DH_WORKER_PORT", "10000"))
    except ValueError:
        fail(f"DH_WORKER_PORT must be an integer, got {os.environ.get('DH_WORKER_PORT')!r}")
    auth = os.environ.get("DH_WORKER_AUTH", "psk").lower()
    if auth not in ("psk", "anonymous"):
        fail(f"DH_WORKER_AUTH must be 'psk' or 'anonymous', got {auth!r}")
    console = os.environ.get("DH_WORKER_CONSOLE", "python").lower()
    if console not in ("python", "groovy"):
        fail(f"DH_WORKER_CONSOLE must be 'python' or 'groovy', got {console!r}")

    jvm_args = read_jvm_args()
    jvm_args.append(f"-Ddeephaven.console.type={console}")
    psk = read_psk() if auth == "psk" else None
    if auth == "psk":
        jvm_args.append(f"-DAuthHandlers={PSK_HANDLER}")
        if psk is not None:
            jvm_args.append(f"-Dauthentication.psk={psk}")
    else:
        jvm_args.append(f"-DAuthHandlers={ANONYMOUS_HANDLER}")

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    if env_flag("DH_WORKER_EXIT_ON_STDIN_EOF"):
        watch_stdin(stop)

    cds_archive = None
    try:
        import dh_cds

        dh_cds.use_sorted_classpath()
        if os.environ.get("DH_WORKER_CDS_DIR") and not os.environ.get("DH_WORKER_CDS", "").lower() == "off":
            cds_archive = dh_cds.find_archive(os.environ["DH_WORKER_CDS_DIR"], dh_cds.current_key())
    except Exception as e:  # noqa: BLE001 - an archive is only ever a speed-up: start without it
        print(f"dh-mcp: class-data sharing skipped: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
    if cds_archive:
        jvm_args[:0] = dh_cds.jvm_args_for(cds_archive)

    extra_classpath = [p for p in os.environ.get("EXTRA_CLASSPATH", "").split(":") if p]
    default_jvm_args = None
    if os.environ.get("JAVA_OPTS"):
        # Like the official start script: JAVA_OPTS replaces only the default VM options file.
        from deephaven_server.start_jvm import DEFAULT_JVM_ARGS

        default_jvm_args = [a for a in DEFAULT_JVM_ARGS if not a.startswith("-XX:VMOptionsFile=")]
        default_jvm_args += shlex.split(os.environ["JAVA_OPTS"])

    try:
        from deephaven_server import Server

        early_calendars = []
        if console == "groovy":
            early_calendars = register_calendars(jvm_args, default_jvm_args, extra_classpath)
        server = Server(host=host, port=port, jvm_args=jvm_args, extra_classpath=extra_classpath,
                        default_jvm_args=default_jvm_args)
        unregister_calendars(early_calendars)
        server.start()
    except Exception as e:  # noqa: BLE001 - any start failure becomes one protocol line
        fail(f"{type(e).__name__}: {e}")
    if stop.is_set():
        emit("stopping")
        return 0

    try:
        from importlib.metadata import version

        dh_version = version("deephaven-core")
    except Exception:  # noqa: BLE001
        dh_version = None
    emit("ready", port=server.port, host=host, auth=auth, console=console, version=dh_version,
         cds=sharing_mode(cds_archive))

    # Timed wait: the handler runs on the main thread even if a JVM thread received the signal.
    while not stop.wait(0.5):
        pass
    emit("stopping")
    return 0  # a normal exit runs atexit -> EmbeddedServer.prepareForShutdown()


if __name__ == "__main__":
    sys.exit(main())
