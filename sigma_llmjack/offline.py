"""Point pySigma's reference-data loaders at the files shipped in ``sigma_llmjack/data/reference``.

pySigma 1.5.1 loads MITRE ATT&CK (``sigma.data.mitre_attack``) and D3FEND
(``sigma.data.mitre_d3fend``), and pySigma-validators-sigmahq 0.21.0 loads SigmaHQ reference JSON
(``sigma.validators.sigmahq.data.data_*``), from URLs on first attribute access. The Elastic
``siem_rule*`` output formats and the tag validators trigger that access even for untagged rules.
Each loader has ``set_url`` (a URL or a local path) and ``set_cache_dir`` hooks, and caches what
it parsed with diskcache.

``scripts/build_reference_data.py`` makes the shipped files: ATT&CK Enterprise 18.1 (all live
tactics, techniques, sub-techniques, groups, software and mitigations) and the SigmaHQ data of
2025-11/12.

NOTE: the D3FEND file contains the seven D3FEND tactics only, because no package ships the D3FEND
ontology, so any ``d3fend.*`` technique tag looks unknown to ``D3FENDTagValidator``.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from sigma_llmjack.errors import LLMjackError

REFERENCE_DIR = Path(__file__).resolve().parent / "data" / "reference"

# pySigma data module -> shipped file it reads.
LOADER_FILES = {
    "sigma.data.mitre_attack": "enterprise-attack.json",
    "sigma.data.mitre_d3fend": "d3fend.json",
    "sigma.validators.sigmahq.data.data_filename": "sigmahq_filename.json",
    "sigma.validators.sigmahq.data.data_taxonomy": "sigmahq_taxonomy.json",
    "sigma.validators.sigmahq.data.data_windows_eventid": "sigmahq_windows_eventid.json",
    "sigma.validators.sigmahq.data.data_windows_provider": "sigmahq_windows_provider.json",
}


class ReferenceDataError(LLMjackError):
    """A shipped reference-data file is missing, so pySigma would try to download it."""


@dataclass(frozen=True)
class ReferenceDataState:
    """Reference-data folder and diskcache folder of the loaders after the first call."""

    reference_dir: Path
    cache_dir: Path


_lock = threading.Lock()
_state: ReferenceDataState | None = None


def reference_file(name: str) -> Path:
    """Return the path of a shipped reference file, raising ReferenceDataError if it is absent."""
    path = REFERENCE_DIR / name
    if not path.is_file():
        raise ReferenceDataError(
            f"{path}: shipped reference data is missing; reinstall sigma-llmjack or run "
            "scripts/build_reference_data.py"
        )
    return path


def use_bundled_reference_data() -> None:
    """Make every pySigma reference-data loader read the shipped files instead of the network.

    Idempotent: the first call configures the loaders and later calls do nothing.
    Each process gets its own diskcache folder, removed at exit. A shared folder such as
    pySigma's default ``~/.cache/pysigma`` would be cleared by ``set_url``, which would also throw
    away what a user's own sigma-cli had cached there.
    """
    global _state
    with _lock:
        if _state is not None:
            return

        paths = {module: reference_file(name) for module, name in LOADER_FILES.items()}
        cache_root = Path(tempfile.mkdtemp(prefix="llmjack-pysigma-"))
        atexit.register(shutil.rmtree, cache_root, ignore_errors=True)

        for module_name, path in paths.items():
            module = importlib.import_module(module_name)
            # set_cache_dir must come first: set_url clears the cache it finds at that moment.
            module.set_cache_dir(str(cache_root / module_name.rsplit(".", 1)[-1]))
            module.set_url(str(path))

        _state = ReferenceDataState(reference_dir=REFERENCE_DIR, cache_dir=cache_root)


def active_reference_data() -> ReferenceDataState | None:
    """Return where the loaders point, or None before ``use_bundled_reference_data`` ran."""
    return _state


@functools.cache
def attack_tactic_names() -> dict[str, str]:
    """Return ATT&CK tactic short names mapped to display names, read from the shipped bundle.

    For example ``initial-access`` maps to ``Initial Access``. pySigma's loader keeps only the
    short names, and the Elastic backend 2.1.1 derives Kibana's tactic names from them with
    ``str.title()``, which writes ``Initial-Access``.
    """
    bundle = json.loads(reference_file(LOADER_FILES["sigma.data.mitre_attack"]).read_text("utf-8"))
    return {
        obj["x_mitre_shortname"]: obj["name"]
        for obj in bundle["objects"]
        if obj.get("type") == "x-mitre-tactic"
    }
