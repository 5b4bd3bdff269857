"""The full answer to every example, kept under review: no rule changes behaviour unnoticed.

For each file in ``fixtures/`` the answer (cards, codes, indicators, summaries, details,
links, suggestion labels and resources) is compared with ``tests/snapshots/<name>.json``.
Only the uuids, new in every answer, are left out, and the content hash of the knowledge
version (it changes with any line of the clinical code) is written as ``<content>``; dates are
stable because the clock is pinned to the example's ``evaluationDate``. Any difference fails
with a diff.

A changed answer is a change of clinical behaviour, so it needs a new knowledge release:
``tests/snapshots/_release.json`` records the release the snapshots were written with and a
digest of them, and a test fails when the snapshots change under the same release. After an
intended change, bump ``version`` (and ``changes``) in manifest.yaml, rewrite the snapshots and
review the diff in git:

    BACLOFEN_CDS_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/clinical/test_snapshots.py
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from service.clinical.knowledge import load_knowledge
from service.pipeline.examples import load_fixture
from tests.clinical.conftest import pipeline_answer
from tests.conftest import FIXTURES, ROOT

SNAPSHOTS = ROOT / "tests" / "snapshots"
# Read at import: the tests' clean environment removes BACLOFEN_CDS_* before each test.
UPDATE = os.environ.get("BACLOFEN_CDS_UPDATE_SNAPSHOTS") == "1"
FILES = sorted(FIXTURES.glob("*.json"))
RELEASE_RECORD = SNAPSHOTS / "_release.json"
KNOWLEDGE = load_knowledge()
STABLE_VERSION = f"{KNOWLEDGE.release}+<content>"


def normalised(value: Any, version: str = KNOWLEDGE.version) -> Any:
    """The answer without what differs from one call to the next (uuids) or from one commit
    to the next (the content hash)."""
    if isinstance(value, dict):
        return {key: normalised(item, version) for key, item in value.items() if key != "uuid"}
    if isinstance(value, list):
        return [normalised(item, version) for item in value]
    if isinstance(value, str):
        return value.replace(version, STABLE_VERSION)
    return value


def text_of(answer: Any) -> str:
    return json.dumps(answer, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def compare(path: Path, got: str, *, update: bool = UPDATE) -> None:
    if update:
        path.write_text(got, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path.name}; write it with BACLOFEN_CDS_UPDATE_SNAPSHOTS=1")
    expected = path.read_text(encoding="utf-8")
    if got != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            got.splitlines(keepends=True),
            fromfile=f"snapshot {path.name}",
            tofile="answer now",
        )
        pytest.fail("the answer changed (review; update if intended):\n" + "".join(diff))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
async def test_answer_matches_its_snapshot(path: Path) -> None:
    answer = await pipeline_answer(KNOWLEDGE, load_fixture(path))
    compare(SNAPSHOTS / f"{path.stem}.json", text_of(normalised(answer)))


def snapshots_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(SNAPSHOTS.glob("[!_]*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_changed_snapshots_come_with_a_new_release() -> None:
    """Runs after the snapshot tests (same module, later): when they rewrote the snapshots,
    the record is rewritten too, but only under a new release."""
    digest = snapshots_digest()
    record = json.loads(RELEASE_RECORD.read_text()) if RELEASE_RECORD.exists() else {}
    if record.get("digest") == digest:
        return
    if record.get("release") == KNOWLEDGE.release:
        pytest.fail(
            f"the answers changed but the knowledge release is still {KNOWLEDGE.release}: "
            "bump version (and changes) in service/clinical/knowledge/manifest.yaml"
        )
    if not UPDATE:
        pytest.fail("snapshots and their release record disagree: update the snapshots")
    RELEASE_RECORD.write_text(
        json.dumps({"release": KNOWLEDGE.release, "digest": digest}, indent=2) + "\n"
    )


def test_every_snapshot_has_its_example() -> None:
    stale = {p.stem for p in SNAPSHOTS.glob("[!_]*.json")} - {p.stem for p in FILES}
    assert not stale, f"snapshots without an example in fixtures/: {sorted(stale)}"


def test_a_changed_answer_fails_with_a_diff(tmp_path: Path) -> None:
    snapshot = tmp_path / "x.json"
    snapshot.write_text(text_of({"cards": [{"indicator": "warning"}]}))
    with pytest.raises(pytest.fail.Exception, match=r'-.*"warning"\n\+.*"critical"'):
        compare(snapshot, text_of({"cards": [{"indicator": "critical"}]}), update=False)


def test_uuids_are_left_out_and_nothing_else() -> None:
    answer = {
        "cards": [{"uuid": "a", "summary": "s", "suggestions": [{"uuid": "b", "label": "l"}]}]
    }
    assert normalised(answer) == {"cards": [{"summary": "s", "suggestions": [{"label": "l"}]}]}
