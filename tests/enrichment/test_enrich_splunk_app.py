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


def run_in_app(app: Path, *arguments: str, home: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LLMJACK_", "PYTHON"))}
    environment["HOME"] = str(home)
    script = app / "bin" / "llmjack_ip_reputation.py"
    # -S leaves out site-packages, so the package and requests must come from bin/lib.
    command = [sys.executable, "-S", str(script), *arguments]
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
