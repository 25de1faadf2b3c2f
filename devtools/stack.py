"""`manage.py serve`: the whole local stack in one process tree, stopped cleanly by Ctrl-C.

dynalite (DynamoDB API over HTTP, data on disk under .local/dynamodb) → tables → the demo contest
(once) → the development PKI (once) → its CRL refreshed into the revocation index the API reads
(.local/pki/crl-index; again every 15 minutes with the closer) → the development commission key
(once, .local/evidence: the API seals evidence to its public half; `manage.py audit` opens with the
private half) → `chalice local` on http://127.0.0.1:8000 → the NCALayer stand-in on ws://127.0.0.1:13579.

`make run` lists a development admin (`DEV_ADMIN_IIN`) unless the shell names its own in
`VOTING_ADMIN_IINS`, and the stand-in signs the admin page's sign-in as the first of them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from devtools.stages import DEFAULT_STAGE, stage_environment

if TYPE_CHECKING:
    from chalicelib.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / ".local"
DYNAMODB_PORT = 8001
API_PORT = 8000
DEV_ADMIN_IIN = "880202400456"  # the development admin of `make run` (a person of the development PKI)


def wait_for_port(port: int, seconds: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for port {port} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


def ensure_free(port: int) -> None:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        raise RuntimeError(f"port {port} is already in use: is another `make run` still running?")


def start_dynalite(port: int, data_dir: Path) -> subprocess.Popen:
    ensure_free(port)
    binary = ROOT / "node_modules" / ".bin" / "dynalite"
    if not binary.exists():
        raise RuntimeError("dynalite is not installed: run `npm ci` (make run does it)")
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
        [str(binary), "--port", str(port), "--path", str(data_dir), "--createTableMs", "0",
         "--deleteTableMs", "0", "--updateTableMs", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    wait_for_port(port, process=process)
    return process


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalStack:
    """dynalite + the API + the NCALayer stand-in, each its own process, data under `folder`."""

    folder: Path
    api_port: int = API_PORT
    dynamodb_port: int = DYNAMODB_PORT
    ncalayer_port: int = 13579
    with_demo: bool = True
    quiet: bool = False  # send the components' output to <folder>/logs instead of the terminal
    run_closer: bool = False  # `make run` closes and tallies due contests every minute, like AWS
    overrides: dict[str, str] = field(default_factory=dict)
    admin_iin: str | None = None  # the stand-in signs the admin page's sign-in as this person
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def dynamodb(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}"

    @property
    def ncalayer(self) -> str:
        return f"ws://127.0.0.1:{self.ncalayer_port}"

    @property
    def pki_dir(self) -> Path:
        return self.folder / "pki"

    @property
    def evidence_dir(self) -> Path:
        """The development commission key pair (made on first use, then kept with the votes)."""
        return self.folder / "evidence"

    def environment(self) -> dict[str, str]:
        from chalicelib.adapters.evidence_keys import local_key_pair

        _, public_pem = local_key_pair(self.evidence_dir)
        return {
            **os.environ,
            **stage_environment(DEFAULT_STAGE),  # the dev stage of .chalice/config.json: one source for `make run`
            "VOTING_DYNAMODB_ENDPOINT": self.dynamodb,
            "VOTING_TRUST_DIR": str(self.pki_dir / "trust"),
            "VOTING_CRL_DIR": str(self.pki_dir / "crl"),
            "VOTING_CRL_INDEX_DIR": str(self.pki_dir / "crl-index"),  # what the local refresher writes
            # The API seals to the public key only; the private key file is for the commission's
            # tools (`VOTING_EVIDENCE_KEY_FILE=<folder>/evidence/commission-private.pem manage.py audit`).
            "VOTING_EVIDENCE_KEY": public_pem,
            # eGov mobile's API 1/API 2 under this API: http on this machine is what the stand-in
            # reaches; a real phone needs the stage's public https address (README, deployment).
            "VOTING_PUBLIC_URL": self.api,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            **self.overrides,
        }

    def start(self, say: Callable[[str], None] = lambda _: None) -> LocalStack:
        try:
            self.processes.append(start_dynalite(self.dynamodb_port, self.folder / "dynamodb"))
            say(f"DynamoDB (dynalite) on {self.dynamodb}, data in {self.folder / 'dynamodb'}")
            for line in prepare(self.environment(), self.pki_dir, self.with_demo):
                say(line)
            say(f"commission key (development) in {self.evidence_dir}: the API seals evidence to its public half")
            self._spawn("api", [sys.executable, "-m", "devtools.api_server", "--port", str(self.api_port)],
                        self.api_port)
            say(f"API on {self.api} (stage dev)")
            admin = ["--admin-iin", self.admin_iin] if self.admin_iin else []
            self._spawn("ncalayer", [sys.executable, "-m", "devtools.ncalayer", "--pki", str(self.pki_dir),
                                     "--port", str(self.ncalayer_port), *admin], self.ncalayer_port)
            say(f"NCALayer stand-in on {self.ncalayer} (development keys)")
            for line in admin_help(self):
                say(line)
            for line in egov_mobile_help(self):
                say(line)
            if self.run_closer:
                self._start("closer", [sys.executable, "-m", "devtools.closer", "--every", "60"])
                say("closer every minute and CRL refresher every 15 minutes (as the schedules in AWS)")
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, command: list[str], port: int) -> None:
        ensure_free(port)
        wait_for_port(port, process=self._start(name, command))

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        output = None
        if self.quiet:
            (self.folder / "logs").mkdir(parents=True, exist_ok=True)
            output = (self.folder / "logs" / f"{name}.log").open("ab")
        process = subprocess.Popen(command, cwd=ROOT, env=self.environment(),  # noqa: S603
                                   start_new_session=True, stdout=output, stderr=output)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop(process)
        self.processes.clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def admin_help(stack: LocalStack) -> list[str]:
    """How to open the commission's page on the local stack, and as whom."""
    admins = stack.environment().get("VOTING_ADMIN_IINS", "")
    if not admins.strip():
        return [f"admin page {stack.api}/admin: nobody may sign in (VOTING_ADMIN_IINS is empty)"]
    lines = [f"admin page {stack.api}/admin: press «Войти с ЭЦП»; admins (VOTING_ADMIN_IINS): {admins}"]
    if stack.admin_iin:
        lines.append(f"  the NCALayer stand-in signs the sign-in as {stack.admin_iin} (the development admin); "
                     "others: VOTING_ADMIN_IINS=<IIN>,<IIN> make run")
    return lines


def egov_mobile_help(stack: LocalStack) -> list[str]:
    """How to sign from a phone on the local stack: the eGov mobile stand-in plays the app."""
    python = Path(sys.executable)
    shown = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    pki = "" if stack.pki_dir == LOCAL / "pki" else f" --pki {stack.pki_dir}"  # the stand-in's default
    return [
        f"eGov mobile stand-in: on {stack.api}/ choose a candidate, press «Проголосовать», then «QR-код для eGov",
        "  mobile» (in a phone-sized window «Подписать в eGov mobile»); copy the QR text (under «Текст QR-кода»)",
        "  or the link, and play the phone:",
        f'  {shown} -m devtools.egov_mobile "mobileSign:{stack.api}/egov/<id>" [--iin 900101300123]'
        f" [--key rsa|ecdsa|gost]{pki}",
    ]


def prepare(environment: dict[str, str], pki_dir: Path, with_demo: bool = True) -> list[str]:
    """Tables, PKI and demo contest; each only if missing, so restarts keep every vote."""
    from chalicelib.adapters.dynamodb import DynamoStore
    from chalicelib.runtime import Runtime
    from chalicelib.settings import Settings
    from chalicelib.voting.contest import parse_contest
    from devtools.demo import DEMO_ID, demo_contest
    from devtools.localpki import write_dev_pki

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    wired = Runtime(Settings.from_environment(environment))
    lines = write_dev_pki(pki_dir)
    lines.append(refreshed(wired))
    store = wired.store
    assert isinstance(store, DynamoStore)
    created = store.create_tables()
    lines.append("tables created: " + ", ".join(created) if created else "tables already exist (kept)")
    if not with_demo:
        return lines
    if store.get_contest(DEMO_ID) is None:
        wired.commission.save_contest(parse_contest(demo_contest(datetime.now(UTC))))
        lines.append(f"demo contest {DEMO_ID} created: open now for five days (Astana time)")
    else:
        lines.append(f"demo contest {DEMO_ID} already there (kept)")
    return lines


def refreshed(wired: Runtime) -> str:
    """The CRL folder refreshed into the index folder (the development CA ships a CRL: no CA is
    optional on the local stack), in one line."""
    report = wired.refresh_crls()
    problems = [f"{source}: {why}" for source, _, why in report.failed] + [f"{ca}: {why}" for ca, why in
                                                                         report.index_problems]
    if problems:
        raise RuntimeError("the development CRL does not load: " + "; ".join(problems))
    written = ", ".join(f"{w.issuer} ({w.base_entries} revoked, next update {w.next_update:%Y-%m-%d})"
                        for w in report.written)
    return (f"CRL index written to {wired.settings.crl_index_dir}: {written}" if written else
            f"CRL index in {wired.settings.crl_index_dir} is current (kept)")


def make_run_stack(shell: Mapping[str, str]) -> LocalStack:
    """The stack `make run` serves: the shell may name the admins (`VOTING_ADMIN_IINS=... make run`,
    over the dev stage's empty list); else the development admin, whom the stand-in signs in as."""
    admins = shell.get("VOTING_ADMIN_IINS", "").strip() or DEV_ADMIN_IIN
    return LocalStack(LOCAL, run_closer=True, overrides={"VOTING_ADMIN_IINS": admins},
                      admin_iin=admins.split(",")[0].strip())


def _interrupt(_signal: int, _frame: object) -> None:
    # One stop is enough: a second Ctrl-C or SIGTERM must not cut the clean shutdown short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def serve() -> int:
    # The components run in their own sessions, so stop them ourselves on SIGTERM as on Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    stack = make_run_stack(os.environ)
    try:
        stack.start(print)
        print("Ctrl-C stops everything; data stays in .local/.")
        while all(p.poll() is None for p in stack.processes):
            time.sleep(0.5)
        print("a component exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…")
        return 0
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("stopped; data kept in .local/")
