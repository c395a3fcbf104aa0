"""Errors: types, messages and key paths (docs/python.md, "Errors")."""

import pickle

import pytest

import mcrev


def base():
    return {
        "samples": 10_000,
        "backend": "cpu",
        "bidders": [{"count": 3, "value": {"dist": "uniform", "low": 0.0, "high": 1.0}}],
        "mechanisms": [{"kind": "second_price"}, {"kind": "first_price", "strategy": "bne"}],
    }


def raises_at(scen, key_path, **kw):
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.run(scen, **kw)
    assert isinstance(e.value, ValueError)
    assert e.value.key_path == key_path, str(e.value)
    assert str(e.value).startswith(key_path + ": "), str(e.value)
    return e.value


def test_negative_reserve():
    s = base()
    s["mechanisms"][0]["reserve"] = -1
    raises_at(s, "mechanisms[0].reserve")


def test_misspelt_kind():
    s = base()
    s["mechanisms"][1]["kind"] = "frist_price"
    err = raises_at(s, "mechanisms[1].kind")
    assert "frist_price" in str(err)


def test_unknown_key():
    s = base()
    s["bidders"][0]["cuont"] = 2
    raises_at(s, "bidders[0].cuont")


def test_impossible_distribution():
    s = base()
    s["bidders"][0]["value"]["low"] = 2.0
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.run(s)
    assert e.value.key_path.startswith("bidders[0].value")


@pytest.mark.parametrize("kw,key", [({"samples": 0}, "samples"), ({"samples": 2.5}, "samples"),
                                    ({"samples": True}, "samples"), ({"seed": -1}, "seed"),
                                    ({"threads": -1}, "threads"), ({"confidence": 1.5}, "confidence"),
                                    ({"backend": "tpu"}, "backend"), ({"samples": 10**30}, "samples")])
def test_keyword_errors(kw, key):
    raises_at(base(), key, **kw)


def test_values_without_toml_form():
    s = base()
    s["mechanisms"][0]["reserve"] = None
    raises_at(s, "mechanisms[0].reserve")
    s = base()
    s["bidders"][0]["value"]["low"] = object()
    raises_at(s, "bidders[0].value.low")


def test_missing_file(tmp_path):
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.run(tmp_path / "nope.toml")
    assert "nope.toml" in str(e.value)


def test_toml_syntax_error(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("samples = = 3\n")
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.run(p)
    assert "bad.toml:1:" in str(e.value) and e.value.key_path == ""


def test_wrong_scenario_type():
    with pytest.raises(TypeError):
        mcrev.run(42)


def test_error_pickles():
    s = base()
    s["mechanisms"][0]["reserve"] = -1
    with pytest.raises(mcrev.ScenarioError) as e:
        mcrev.run(s)
    back = pickle.loads(pickle.dumps(e.value))
    assert type(back) is mcrev.ScenarioError and back.key_path == e.value.key_path and str(back) == str(e.value)


def cuda_usable():
    try:
        mcrev.run(base(), samples=256, backend="cuda")
        return True
    except mcrev.BackendError:
        return False


def test_backend_error_without_cuda():
    if cuda_usable():
        pytest.skip("a CUDA device is usable here: backend='cuda' cannot fail")
    with pytest.raises(mcrev.BackendError) as e:
        mcrev.run(base(), backend="cuda")
    assert isinstance(e.value, RuntimeError) and "CUDA" in str(e.value).upper()
