"""Issue 10 (1): the ``impl:`` block and ``regularization:`` as the config reader sees them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from backprop_check import ConfigError
from backprop_check.spec.config import load_config

BASE: dict[str, Any] = {
    "input_size": 3,
    "layers": [{"units": 4, "activation": "tanh"}, {"units": 3, "activation": "softmax"}],
    "loss": "categorical_crossentropy",
}


def _load(tmp_path: Path, **top: Any):
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump({**BASE, **top}, sort_keys=False), encoding="utf-8")
    return load_config(path)


def test_a_file_alone_means_every_default(tmp_path: Path) -> None:
    spec = _load(tmp_path, impl={"file": "code/network.py"}).impl
    assert spec is not None
    assert spec.file == tmp_path / "code" / "network.py"  # relative to the config
    assert (spec.backward, spec.layout, spec.per_sample, spec.weights, spec.biases) == (
        "backward", "rows", False, "out_in", "flat"
    )  # fmt: skip
    assert (spec.labels, spec.returns, spec.reduce, spec.loss) == (
        "one_hot", ("dW", "db"), "mean", None
    )  # fmt: skip


def test_every_key_is_read(tmp_path: Path) -> None:
    block = {
        "file": "n.py",
        "backward": "backprop",
        "layout": "columns",
        "per_sample": True,
        "weights": "in_out",
        "biases": "column",
        "labels": "index",
        "returns": ["db", "dW", "phi"],
        "reduce": "sum",
        "loss": "cost",
    }
    spec = _load(tmp_path, impl=block).impl
    assert spec is not None
    read = {key: getattr(spec, key) for key in block if key != "file"}
    expected = {key: value for key, value in block.items() if key != "file"}
    assert read == {**expected, "returns": ("db", "dW", "phi")}
    assert spec.declared == frozenset(block)


def test_the_command_line_file_overrides_the_block_and_keeps_its_conventions(
    tmp_path: Path,
) -> None:
    spec = _load(tmp_path, impl={"file": "a.py", "weights": "in_out"}).impl
    assert spec is not None
    other = spec.with_file(tmp_path / "b.py")
    assert other.file == tmp_path / "b.py"
    assert other.weights == "in_out"


def test_regularization_is_read(tmp_path: Path) -> None:
    config = _load(tmp_path, regularization={"half_l2": 0.2})
    assert config.regularization is not None
    assert config.regularization.coefficient == pytest.approx(0.1)
    l2 = _load(tmp_path, regularization={"l2": 0.2}).regularization
    assert l2 is not None
    assert l2.coefficient == pytest.approx(0.2)
    assert _load(tmp_path).regularization is None


@pytest.mark.parametrize(
    ("top", "key", "fragment"),
    [
        ({"impl": {"layout": "column"}}, "impl.layout", "rows"),
        ({"impl": {"weights": "io"}}, "impl.weights", "out_in"),
        ({"impl": {"biases": "vector"}}, "impl.biases", "flat"),
        ({"impl": {"labels": "onehot"}}, "impl.labels", "one_hot"),
        ({"impl": {"reduce": "average"}}, "impl.reduce", "mean"),
        ({"impl": {"per_sample": "yes"}}, "impl.per_sample", "expected true or false"),
        ({"impl": {"backward": "my backward"}}, "impl.backward", "the name of a function"),
        ({"impl": {"file": ""}}, "impl.file", "the path of a Python file"),
        ({"impl": {"returns": "dW"}}, "impl.returns", "a list such as [dW, db]"),
        ({"impl": {"returns": ["dW", "dW", "db"]}}, "impl.returns", "lists dW more than once"),
        ({"impl": {"returns": ["dW", "phi"]}}, "impl.returns", "does not list db"),
        ({"impl": {"returns": ["dW", "db", "grads"]}}, "impl.returns[2]", "dW"),
        ({"impl": {"reduction": "sum"}}, "impl.reduction", "reduce"),
        ({"impl": ["network.py"]}, "impl", "a mapping"),
        ({"impl": {"loss": "cost", "returns": ["loss", "dW", "db"]}}, "impl.loss",
         "declare the loss once"),
        ({"impl": {"labels": "index"}, "loss": "mse",
          "layers": [{"units": 4, "activation": "tanh"}, {"units": 3, "activation": "linear"}]},
         "impl.labels", "need loss: categorical_crossentropy; this config's loss is mse"),
        ({"impl": {"per_sample": True}, "regularization": {"l2": 0.1}}, "regularization",
         "per_sample: true cannot be checked with regularization"),
        ({"regularization": {"l2": 0.1, "half_l2": 0.1}}, "regularization",
         "expected exactly one of l2, half_l2, found l2, half_l2"),
        ({"regularization": {}}, "regularization", "found none"),
        ({"regularization": {"l2": -0.1}}, "regularization.l2", "0"),
        ({"regularization": {"l2": ".1x"}}, "regularization.l2", "number"),
        ({"regularization": {"l1": 0.1}}, "regularization.l1", "l2"),
        ({"regularization": 0.1}, "regularization", "{l2: 0.05}"),
    ],
)  # fmt: skip
def test_mistakes_are_located_errors_naming_the_key(
    tmp_path: Path, top: dict[str, Any], key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, **top)
    error = raised.value
    assert error.key == key
    assert fragment in str(error)
    assert error.line is not None
    assert str(error).startswith(str(tmp_path / "net.yaml"))


def test_the_json_schema_takes_every_impl_key_and_refuses_what_the_loader_refuses() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from backprop_check.spec.json_schema import config_schema

    validator = jsonschema.Draft202012Validator(config_schema())
    block = {
        "file": "n.py", "backward": "backprop", "layout": "columns", "per_sample": False,
        "weights": "in_out", "biases": "column", "labels": "index", "returns": ["db", "dW"],
        "reduce": "sum", "loss": None,
    }  # fmt: skip
    good = {**BASE, "impl": block, "regularization": {"half_l2": 0.1}}
    assert list(validator.iter_errors(good)) == []
    for bad in (
        {**good, "impl": {**block, "layout": "column"}},
        {**good, "impl": {**block, "reduction": "sum"}},
        {**good, "regularization": {"l2": 0.1, "half_l2": 0.1}},
        {**good, "regularization": {}},
    ):
        assert list(validator.iter_errors(bad)), bad
