"""Finding and reading the enrichment settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmjack_enrichment.errors import SettingsError
from llmjack_enrichment.settings import DEFAULT_FEEDS, find_settings_file, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LLMJACK_ENRICH_CONFIG", "LLMJACK_ENRICH_DATA", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_environment_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "site.conf"
    monkeypatch.setenv("LLMJACK_ENRICH_CONFIG", str(path))
    assert find_settings_file(None, tmp_path) == path


def test_app_local_before_default(tmp_path: Path) -> None:
    for folder in ("local", "default"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "llmjack_enrichment.conf").write_text("[enrichment]\n")
    assert find_settings_file(None, tmp_path) == tmp_path / "local" / "llmjack_enrichment.conf"


def test_no_file_uses_defaults(tmp_path: Path) -> None:
    settings = load_settings(None, None)
    assert settings.source is None
    assert settings.data_dir == tmp_path / "home" / ".local" / "share" / "llmjack"
    assert set(settings.feeds) == {row[0] for row in DEFAULT_FEEDS}
    assert settings.feeds["aws"].url.startswith("https://")


def test_app_data_dir_default(tmp_path: Path) -> None:
    settings = load_settings(None, tmp_path)
    assert settings.data_dir == tmp_path / "local" / "data"
    assert settings.index_path == tmp_path / "local" / "data" / "llmjack-ip.idx"


def test_relative_paths_and_feed_override(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "enrich.conf"
    path.parent.mkdir()
    path.write_text(
        "[enrichment]\ndata_dir = ../data\ndeny_list = lists/deny.csv\n\n"
        "[feed:aws]\nurl = http://127.0.0.1:9/ip-ranges.json\n\n"
        "[feed:corp-vpn]\nformat = cidr\ncategory = vpn\nfile = corp.txt ; our exits\n\n"
        "[online]\nproviders = abuseipdb\ntime_budget = 5\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    data = tmp_path / "conf" / ".." / "data"
    assert settings.data_dir == data
    assert settings.deny_path == data / "lists" / "deny.csv"
    assert settings.feeds["aws"].url == "http://127.0.0.1:9/ip-ranges.json"
    assert settings.feeds["aws"].format == "aws"
    assert settings.feeds["corp-vpn"].path == data / "feeds" / "corp.txt"
    assert settings.online == {"providers": "abuseipdb", "time_budget": "5"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[enrichment]\ndownload_timeout = 0\n", "download_timeout must be a positive, finite"),
        ("[enrichment]\ndownload_timeout = nan\n", "download_timeout must be a positive, finite"),
        ("[enrichment]\ndownload_timeout = inf\n", "download_timeout must be a positive, finite"),
        ("[enrichment]\ndownload_deadline = -inf\n", "download_deadline must be a positive"),
        ("[enrichment]\nmax_feed_size = 10 T\n", "max_feed_size must be a positive number"),
        ("[enrichment]\nmax_feed_size = 0\n", "max_feed_size must be a positive number"),
        ("[enrichment\n", "invalid settings file"),
    ],
)
def test_bad_values(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.conf"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read settings"):
        load_settings(tmp_path / "absent.conf")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[feed:x]\nformat = yaml\n", "format 'yaml' is not one of"),
        ("[feed:x]\nformat = cidr\ncategory = bad\n", "category 'bad' is not one of"),
        ("[feed:tor]\nenabled = maybe\n", "enabled must be true or false"),
    ],
)
def test_bad_feed_stanza_left_out(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.conf"
    path.write_text(text + "[feed:vpn]\nformat = cidr\ncategory = vpn\n", encoding="utf-8")
    settings = load_settings(path)
    name = text.split("]")[0].split(":")[1]
    assert name not in settings.feeds
    assert message in settings.feed_errors[name]
    assert str(path) in settings.feed_errors[name]
    assert settings.feeds["vpn"].category == "vpn"
    assert "aws" in settings.feeds


def test_max_feed_size_units(tmp_path: Path) -> None:
    path = tmp_path / "sizes.conf"
    path.write_text("[enrichment]\nmax_feed_size = 5M\n", encoding="utf-8")
    assert load_settings(path).max_feed_bytes == 5 * 1024 * 1024
    path.write_text("[enrichment]\nmax_feed_size = 1000\n", encoding="utf-8")
    assert load_settings(path).max_feed_bytes == 1000
