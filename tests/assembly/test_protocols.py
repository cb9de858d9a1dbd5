"""A ``protocols`` entry names a preset, a protocol file or an inline definition; all three agree."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # examples/ (pytest runs in importlib mode)
from examples.aitbs_mouse.generator import render_metadata  # noqa: E402
from nwbtms.errors import MetadataError  # noqa: E402
from nwbtms.metadata import load_session  # noqa: E402
from nwbtms.metadata.protocols import session_protocol  # noqa: E402
from nwbtms.protocols import build_schedule, get_preset, protocol_to_dict  # noqa: E402

INTENSITY = {"reference": "percent_mso", "value": 40}


def _session(tmp_path: Path, **protocols):
    data = yaml.safe_load(render_metadata())
    data["protocols"].update(protocols)
    return load_session(data, base_dir=tmp_path)


def test_preset_file_and_inline_definition_give_one_schedule(tmp_path):
    definition = protocol_to_dict(get_preset("itbs_600"))
    (tmp_path / "itbs.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    session = _session(tmp_path, as_file={"file": "itbs.yaml", "intensity": INTENSITY},
                       inline={"definition": definition, "intensity": INTENSITY})
    preset = build_schedule(session_protocol(session, "itbs")).times_s
    for key in ("as_file", "inline"):
        assert (build_schedule(session_protocol(session, key)).times_s == preset).all()


def test_bad_inline_definition_is_located_in_the_metadata(tmp_path):
    definition = protocol_to_dict(get_preset("itbs_600"))
    definition["levels"][0]["count"] = 0
    session = _session(tmp_path, inline={"definition": definition, "intensity": INTENSITY})
    with pytest.raises(MetadataError) as info:
        session_protocol(session, "inline")
    assert info.value.field == "/protocols/inline" and "inline" in info.value.message
