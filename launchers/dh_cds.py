#!/usr/bin/env python3
"""Class-data sharing (AppCDS) for dh-mcp workers: a JVM archive of the classes a Deephaven worker loads while it
boots, made once per Deephaven install and JVM, so later boots map those classes instead of parsing and verifying
them from about 370 jars (measured: the worker's boot roughly halves).

The archive is made the static way: one training boot per console (python, groovy) of launchers/dh_worker.py with
-XX:DumpLoadedClassList, then `java -Xshare:dump` over the merged class list with the worker's classpath. It is
named by a key of everything the JVM checks before it maps an archive (the JVM build, the jar paths, sizes and
times), so a stale archive is never picked, and several JVMs or Deephaven versions can share one directory.

The JVM itself re-checks the archive when it starts and, with -Xshare:auto, silently falls back to no sharing when
it is unusable (corrupt, another JVM, other jars): a worker always starts, with or without it.

Usage (with the interpreter of the venv holding deephaven-server; JAVA_HOME set or java on PATH):
  python dh_cds.py key                   print the archive key of this venv and JVM
  python dh_cds.py find DIR[:DIR...]     print the archive path when one of the directories holds it (exit 1 if not)
  python dh_cds.py build DIR [--consoles python,groovy] [--force]
                                         make DIR/<key>.jsa unless it is there; prints its path
"""

import hashlib
import json
import os
import shutil
import signal
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time

KEY_VERSION = "dh-cds/1"
ARCHIVE_SUFFIX = ".jsa"
HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_TIMEOUT_S = 600


def sorted_jars(jars):
    """The worker's classpath order. deephaven_server lists its jars in directory order, which differs between two
    copies of the same files (another disk, an image layer extracted elsewhere); a CDS archive only maps when the
    classpath is the same, in the same order, so workers and the archive builder both sort it."""
    return sorted(str(j) for j in jars)


def use_sorted_classpath():
    """Makes deephaven_server start its JVM with the sorted classpath (see sorted_jars). Before start_jvm runs."""
    from deephaven_server import start_jvm as sj

    original = getattr(sj, "_jars", None)
    if original is None or getattr(original, "_dh_cds_sorted", False):
        return
    def jars():
        return iter(sorted_jars(original()))
    jars._dh_cds_sorted = True
    sj._jars = jars


def server_jars():
    from deephaven_server import start_jvm as sj

    return sorted_jars(sj._jars())


def java_home():
    home = os.environ.get("JAVA_HOME")
    if home:
        return home
    java = shutil.which("java")
    return os.path.dirname(os.path.dirname(os.path.realpath(java))) if java else None


def libjvm(home):
    for rel in ("lib/server/libjvm.so", "lib/server/libjvm.dylib", "bin/server/jvm.dll", "jre/lib/server/libjvm.so"):
        p = os.path.join(home, rel)
        if os.path.isfile(p):
            return p
    return None


def file_identity(path):
    # Whole seconds: what the JVM compares, and what survives a trip through an image layer's tar.
    st = os.stat(path)
    return f"{os.path.realpath(path)} {st.st_size} {int(st.st_mtime)}"


def archive_key(jvm_library, jvm_release, deephaven_version, jars):
    """The archive's name: a hash of the JVM build (its library's path, size and time, and its release file), the
    Deephaven version and each classpath jar (path, size, time). Pure: the caller reads the machine."""
    h = hashlib.sha256()
    lines = [KEY_VERSION, f"jvm {jvm_library}", f"release {jvm_release}", f"deephaven {deephaven_version}"]
    lines += [f"jar {j}" for j in jars]
    h.update("\n".join(lines).encode("utf-8"))
    return h.hexdigest()[:24]


def deephaven_version():
    try:
        from importlib.metadata import version

        return version("deephaven-server")
    except Exception:  # noqa: BLE001 - an unusual install still gets a key
        return "unknown"


def current_key(home=None):
    """The key of this interpreter's deephaven-server and the JVM at JAVA_HOME; None when no JVM is found."""
    home = home or java_home()
    lib = libjvm(home) if home else None
    if not lib:
        return None
    release = ""
    try:
        with open(os.path.join(home, "release"), encoding="utf-8", errors="replace") as f:
            release = f.read()
    except OSError:
        pass
    jars = [file_identity(j) for j in server_jars()]
    return archive_key(file_identity(lib), release, deephaven_version(), jars)


def find_archive(dirs, key):
    """The first DIR/<key>.jsa that exists, else None. dirs: a list or an os.pathsep-separated string."""
    if not key:
        return None
    if isinstance(dirs, str):
        dirs = dirs.split(os.pathsep)
    for d in dirs:
        if d:
            p = os.path.join(d, key + ARCHIVE_SUFFIX)
            if os.path.isfile(p):
                return p
    return None


def jvm_args_for(archive):
    """What a worker adds to use an archive; first, so an explicit -Xshare or SharedArchiveFile later wins."""
    return [f"-XX:SharedArchiveFile={archive}", "-Xshare:auto"] if archive else []


# --- building --------------------------------------------------------------------------------------------------

def log(message):
    print(f"[dh-cds] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train(console, class_list, work):
    """Boots one worker (dh_worker.py, this interpreter) with -XX:DumpLoadedClassList until it is ready, then stops
    it cleanly, so the list holds what a boot loads."""
    home = os.path.join(work, console)
    env = {
        **os.environ,
        # A PSK nobody learns (on stdin, never in the environment or arguments): while it boots, the training
        # worker's console is no one's to use.
        "DH_WORKER_AUTH": "psk",
        "DH_WORKER_SECRETS": "stdin",
        "DH_WORKER_CONSOLE": console,
        "DH_WORKER_HOST": "127.0.0.1",
        "DH_WORKER_PORT": str(free_port()),
        "DH_WORKER_CDS": "off",
        "DH_WORKER_JVM_ARGS": json.dumps(["-Xmx1g", f"-XX:DumpLoadedClassList={class_list}"]),
        "DEEPHAVEN_DATA_DIR": os.path.join(home, "data"),
        "DEEPHAVEN_CACHE_DIR": os.path.join(home, "cache"),
        "DEEPHAVEN_CONFIG_DIR": os.path.join(home, "config"),
        "PYTHONUNBUFFERED": "1",
    }
    # Settings of the user's shell that real workers do not get either.
    for k in ("START_OPTS", "JAVA_OPTS", "EXTRA_CLASSPATH", "DH_WORKER_PSK", "DH_WORKER_LOG_FILE"):
        env.pop(k, None)
    # The worker stops when its stdin closes, i.e. when this builder is gone however it ended (a cancelled setup
    # must not leave a server running).
    env["DH_WORKER_EXIT_ON_STDIN_EOF"] = "1"
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "dh_worker.py")], env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=work)
    p.stdin.write(secrets.token_hex(16) + "\n")
    p.stdin.flush()
    # A boot that hangs without printing is killed at the deadline (the read below would wait forever).
    watchdog = threading.Timer(TRAIN_TIMEOUT_S, p.kill)
    watchdog.start()
    tail = []
    ready = False
    try:
        for line in p.stdout:
            tail = (tail + [line.rstrip()])[-20:]
            if line.startswith("DH-WORKER ") and '"event":"ready"' in line:
                ready = True
                break
            if line.startswith("DH-WORKER ") and '"event":"error"' in line:
                break
    finally:
        watchdog.cancel()
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            # Read what it prints while stopping, so a full pipe cannot hold its shutdown up.
            p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
    if not ready:
        raise RuntimeError(f"the {console} training boot did not get ready:\n" + "\n".join(tail))
    log(f"{console} training boot: {time.monotonic() - t0:.1f} s")


def merge_class_lists(paths, out):
    seen = set()
    with open(out, "w", encoding="utf-8") as o:
        for p in paths:
            with open(p, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("#") or line in seen:
                        continue
                    seen.add(line)
                    o.write(line)
    return len(seen)


def java_binary(home):
    exe = os.path.join(home, "bin", "java.exe" if os.name == "nt" else "java")
    if not os.path.isfile(exe):
        raise RuntimeError(f"no java launcher at {exe}")
    return exe


def dump(home, class_list, archive, log_file):
    """The static dump over the merged list, with the worker's classpath and collector (G1, as dh-default.vmoptions
    sets: archived heap objects need it)."""
    cmd = [java_binary(home), "-Xshare:dump", "-XX:+UseG1GC", f"-XX:SharedClassListFile={class_list}",
           f"-XX:SharedArchiveFile={archive}", "-cp", os.pathsep.join(server_jars())]
    with open(log_file, "w", encoding="utf-8") as lf:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT, timeout=TRAIN_TIMEOUT_S)
    if r.returncode != 0 or not os.path.isfile(archive):
        raise RuntimeError(f"java -Xshare:dump failed (exit {r.returncode}); its log: {log_file}")
    # The JVM must accept it with the worker's classpath (-Xshare:on fails instead of falling back).
    check = subprocess.run([java_binary(home), "-Xshare:on", "-XX:+UseG1GC", f"-XX:SharedArchiveFile={archive}",
                            "-cp", os.pathsep.join(server_jars()), "-version"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if check.returncode != 0:
        raise RuntimeError(f"the new archive does not map: {(check.stdout + check.stderr).strip()[-500:]}")


def remove_superseded(directory, key, home):
    """Removes the archives this venv made before with this JVM (a rebuilt or upgraded venv has a new key) and those
    of venvs that are gone: about 100 MB each."""
    for name in os.listdir(directory):
        if not name.endswith(".json") or name == key + ".json":
            continue
        other = os.path.join(directory, name)
        try:
            with open(other, encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            continue
        # Superseded: made by this venv with this JVM, or by a venv that no longer exists.
        python = meta.get("python") or ""
        same_maker = python == sys.executable and meta.get("java_home") == home
        if not same_maker and os.path.exists(python):
            continue
        stem = other[: -len(".json")]
        for suffix in (ARCHIVE_SUFFIX, ".dump.log", ".json"):
            try:
                os.remove(stem + suffix)
            except OSError:
                pass


def build(directory, consoles=("python", "groovy"), force=False):
    """Makes DIR/<key>.jsa unless it is there (idempotent; one builder at a time per directory). Returns its path."""
    home = java_home()
    key = current_key(home)
    if not key:
        raise RuntimeError("no JVM found (set JAVA_HOME to a JDK 17+ holding lib/server/libjvm.so)")
    import fcntl  # POSIX only; building is a setup step, workers only read archives

    os.makedirs(directory, exist_ok=True)
    archive = os.path.join(directory, key + ARCHIVE_SUFFIX)
    with open(os.path.join(directory, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # Work directories of builders killed before their cleanup ran (only one builder holds the lock).
        for name in os.listdir(directory):
            if name.startswith("dh-cds-"):
                shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
        if os.path.isfile(archive) and not force:
            log(f"archive present: {archive}")
            return archive
        t0 = time.monotonic()
        work = tempfile.mkdtemp(prefix="dh-cds-", dir=directory)
        try:
            lists = []
            for console in consoles:
                lst = os.path.join(work, f"{console}.classlist")
                train(console, lst, work)
                lists.append(lst)
            merged = os.path.join(work, "classes.classlist")
            n = merge_class_lists(lists, merged)
            tmp = os.path.join(work, "archive" + ARCHIVE_SUFFIX)
            dump(home, merged, tmp, os.path.join(directory, key + ".dump.log"))
            # Its description first, then the archive, each written whole and renamed: a worker never maps a
            # half-written archive, and no archive is ever without the description the clean-up goes by.
            meta = os.path.join(work, "archive.json")
            with open(meta, "w", encoding="utf-8") as f:
                json.dump({"key": key, "java_home": home, "deephaven_version": deephaven_version(),
                           "python": sys.executable, "consoles": list(consoles), "classes": n,
                           "bytes": os.path.getsize(tmp), "seconds": round(time.monotonic() - t0, 1),
                           "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, f, indent=2)
            os.replace(meta, os.path.join(directory, key + ".json"))
            os.replace(tmp, archive)
            remove_superseded(directory, key, home)
            log(f"archive made in {time.monotonic() - t0:.0f} s ({n} classes, "
                f"{os.path.getsize(archive) / 1e6:.0f} MB): {archive}")
            return archive
        finally:
            shutil.rmtree(work, ignore_errors=True)


def main(argv):
    # Stopped (a cancelled setup): unwind, so the training worker is stopped and the work directory removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "key":
        key = current_key()
        if not key:
            log("no JVM found (set JAVA_HOME)")
            return 1
        print(key)
        return 0
    if cmd == "find" and len(argv) == 3:
        found = find_archive(argv[2], current_key())
        if found:
            print(found)
        return 0 if found else 1
    if cmd == "build" and len(argv) >= 3:
        consoles = ["python", "groovy"]
        force = False
        rest = argv[3:]
        while rest:
            a = rest.pop(0)
            if a == "--force":
                force = True
            elif a == "--consoles" and rest:
                consoles = [c for c in rest.pop(0).split(",") if c]
            else:
                log(f"unknown option {a}")
                return 2
        bad = [c for c in consoles if c not in ("python", "groovy")]
        if bad or not consoles:
            log("--consoles takes python, groovy or both (comma-separated)")
            return 2
        try:
            print(build(argv[2], consoles, force))
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            log(f"ERROR: {e}")
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
