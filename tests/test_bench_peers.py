"""The benchmark's peer registry names every tool and says why a missing one cannot run."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import peers
from benchmarks.peers import base, stegokit_neural


def test_every_tool_is_listed_with_a_status():
    tools = peers.hiders() + peers.markers()
    status = peers.status(peers.hiders()) | peers.status(peers.markers())
    assert {tool.name for tool in tools} == set(status)
    assert all(reason is None or isinstance(reason, str) for reason in status.values())


def test_a_missing_python_package_is_named():
    reason = base.missing_modules("numpy", "no_such_module_for_stegokit_bench")
    assert reason == "not installed (module no_such_module_for_stegokit_bench missing)"


def test_a_missing_program_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(base, "program", lambda name: None)
    reasons = peers.status(peers.hiders())
    assert "apt-get install steghide" in reasons["steghide"]
    assert "apt-get install outguess" in reasons["outguess"]


@pytest.mark.parametrize("tool", [stegokit_neural.Neural(), stegokit_neural.NeuralFiles()])
def test_the_neural_codec_is_reported_until_it_lands(monkeypatch, tool):
    real = stegokit_neural.importlib.util.find_spec
    monkeypatch.setattr(stegokit_neural.importlib.util, "find_spec",
                        lambda name: None if name == stegokit_neural.MODULE else real(name))
    assert "module stegokit.codecs.neural missing" in tool.missing()
