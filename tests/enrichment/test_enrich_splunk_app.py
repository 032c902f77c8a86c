"""The Splunk app layout: configuration stanzas, and the entry script run from a built app."""

from __future__ import annotations

import configparser
import csv
import io
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from enrichment_helpers import REPO, write_settings

sys.path.insert(0, str(Path(__file__).with_name("providers")))
from fake_services import PROXY_VARIABLES, FakeProvider  # noqa: E402

from llmjack_enrichment.classify import OUTPUT_FIELDS
from llmjack_enrichment.compiler import compile_index
from llmjack_enrichment.settings import load_settings

SPLUNK = REPO / "enrichment" / "splunk"


def read_conf(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read(SPLUNK / "default" / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize("stanza", ["llmjack_ip_reputation", "llmjack_ip_reputation_online"])
def test_transforms_stanza(stanza: str) -> None:
    section = read_conf("transforms.conf")[stanza]
    fields = [name.strip() for name in section["fields_list"].split(",")]
    assert fields == ["sourceIPAddress", *OUTPUT_FIELDS]
    command = shlex.split(section["external_cmd"])
    assert command[0] == "llmjack_ip_reputation.py"
    assert command[-1] == "sourceIPAddress"
    assert ("--online" in command) == stanza.endswith("_online")
    assert section["python.version"] == "python3"


def test_automatic_lookup_is_offline() -> None:
    props = read_conf("props.conf")["aws:cloudtrail"]
    words = props["LOOKUP-llmjack_ip_reputation"].split()
    assert words[0] == "llmjack_ip_reputation"
    assert words[1] == "sourceIPAddress"
    assert set(words[3:]) <= set(OUTPUT_FIELDS)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("apps")
    command = [sys.executable, str(SPLUNK / "build_app.py"), str(output)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    app = output / "TA-llmjack-ip-reputation"
    settings = write_settings(app / "local")
    compile_index(load_settings(settings))
    return app


def python39() -> str:
    """Return a Python 3.9 interpreter (Splunk's oldest), else the one running the tests."""
    candidates = [os.environ.get("PYTHON39", ""), str(REPO / ".venv39" / "bin" / "python")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return sys.executable


def run_in_app(
    app: Path, *arguments: str, home: Path, python: str = sys.executable, **variables: str
) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LLMJACK_", "PYTHON"))}
    for name in PROXY_VARIABLES:
        environment.pop(name, None)
    environment.update(variables)
    environment["HOME"] = str(home)
    script = app / "bin" / "llmjack_ip_reputation.py"
    # -S leaves out site-packages, so the package and requests must come from bin/lib.
    command = [python, "-S", str(script), *arguments]
    stdin = b"sourceIPAddress,ip_class,ip_rep_status,ip_status\n185.220.101.1,,,\n203.0.114.5,,,\n"
    return subprocess.run(
        command, input=stdin, capture_output=True, env=environment, cwd=home, timeout=60
    )


def test_app_finds_package_and_settings(app: Path, tmp_path: Path) -> None:
    result = run_in_app(app, "sourceIPAddress", home=tmp_path)
    assert result.returncode == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert rows[0]["ip_class"] == "tor"
    assert rows[1]["ip_rep_status"] == "offline"
    assert b"Traceback" not in result.stderr


def test_app_online_mode_imports(app: Path, tmp_path: Path) -> None:
    result = run_in_app(app, "--online", "sourceIPAddress", home=tmp_path)
    assert result.returncode == 0
    assert b"Traceback" not in result.stderr, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert rows[0]["ip_class"] == "tor"
    assert rows[1]["ip_rep_status"] != "offline"
    assert rows[1]["ip_rep_status"] != ""


def test_app_leaves_out_cli(app: Path) -> None:
    assert not (app / "bin" / "lib" / "llmjack_enrichment" / "cli.py").exists()
    assert (app / "bin" / "lib" / "requests" / "__init__.py").is_file()
    assert (app / "bin" / "lib" / "cachetools").is_dir()


def test_app_vendors_python39_wheels(app: Path) -> None:
    lib = app / "bin" / "lib"
    compiled = sorted(str(path.relative_to(lib)) for path in lib.rglob("*.so"))
    assert compiled == []
    metadata = sorted(lib.glob("*.dist-info/METADATA"))
    names = {path.parent.name.split("-")[0].lower() for path in metadata}
    assert names == {"requests", "urllib3", "idna", "charset_normalizer", "certifi", "cachetools"}
    for path in metadata:
        text = path.read_text(encoding="utf-8")
        requires = [line for line in text.splitlines() if line.startswith("Requires-Python:")]
        # Every vendored library must accept 3.9; ">=3.10" and newer bounds must not appear.
        assert not any(f">=3.{minor}" in line for line in requires for minor in range(10, 20)), (
            path.parent.name,
            requires,
        )


def test_app_online_lookup_on_python39(app: Path, tmp_path: Path) -> None:
    """The built app queries a provider with its vendored requests under Python 3.9."""
    python = python39()
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    assert version.stdout.strip() in ("(3, 9)", str(tuple(sys.version_info[:2])))
    with FakeProvider("abuseipdb", key="app-test-key") as provider:
        online = f"""
[online]
providers = abuseipdb
abuseipdb_url = {provider.url}
cache_path = {tmp_path / "cache.sqlite3"}
trust_env = false
"""
        settings = app / "local" / "online.conf"
        base = (app / "local" / "llmjack_enrichment.conf").read_text(encoding="utf-8")
        settings.write_text(base + online, encoding="utf-8")
        result = run_in_app(
            app,
            "--online",
            f"--config={settings}",
            "sourceIPAddress",
            home=tmp_path,
            python=python,
            LLMJACK_ABUSEIPDB_KEY="app-test-key",
        )
    assert result.returncode == 0
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert rows[0]["ip_class"] == "tor"
    assert rows[1]["ip_rep_status"] == "ok", result.stderr.decode()
    assert provider.addresses_requested() == ["203.0.114.5"]
