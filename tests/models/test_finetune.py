"""The hybrid's fine-tuning shortcuts: cached lower layers and similar-length batches must
change only the cost of training, never what the network computes; bfloat16 changes its
precision, so it is used as asked and the saved model says which."""

import numpy as np
import pytest
import torch

from pipeline.models.encoder import mean_pool
from pipeline.models.finetune import (
    TunedHeads,
    _pad,
    _similar_length_batches,
    _through,
    native_bf16,
)


def test_similar_length_batches_cover_every_passage_once_with_less_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 129, size=3_000)
    batches = _similar_length_batches(lengths, 32, np.random.default_rng(1))
    seen = np.concatenate(batches)
    assert sorted(seen) == list(range(3_000))
    assert max(len(b) for b in batches) == 32
    padded = sum(len(b) * lengths[b].max() for b in batches)
    shuffled = np.random.default_rng(2).permutation(3_000)
    padded_random = sum(32 * lengths[shuffled[i:i + 32]].max() for i in range(0, 3_000, 32))
    assert padded < 0.7 * padded_random
    again = _similar_length_batches(lengths, 32, np.random.default_rng(1))
    assert all((a == b).all() for a, b in zip(batches, again))  # reproducible from the seed


@pytest.mark.slow
def test_cached_lower_layers_then_upper_layers_equal_the_whole_network(small_gold):
    heads = TunedHeads(3, 4, layers=6, frozen_layers=3, max_length=128)
    heads._build()
    heads.net.eval()
    texts = [r.text for r in small_gold[:24]] + ["Operators shall notify incidents."]
    hidden, mask = _pad(heads._frozen_states(texts))
    with torch.no_grad():
        hidden = _through(heads.net.encoder.encoder.layer[3:], hidden, mask)
        batch = heads.tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
        whole = heads.net.encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    assert torch.allclose(mean_pool(hidden, mask), mean_pool(whole.last_hidden_state, batch["attention_mask"]), atol=1e-5)


@pytest.mark.slow
def test_only_the_trained_layers_are_saved_and_a_loaded_model_predicts_the_same(tmp_path, small_gold):
    from safetensors.torch import load_file

    texts = [r.text for r in small_gold[:40]]
    elements = (np.arange(40 * 9).reshape(40, 9) % 5 == 0).astype(np.int8)
    heads = TunedHeads(3, 4, layers=6, frozen_layers=4, epochs=1, n_elements=9).fit(
        texts, np.arange(40) % 3, np.arange(40) % 4, elements)
    heads.save(tmp_path)
    saved = load_file(str(tmp_path / "tuned.safetensors"))
    layers = {k.split(".")[3] for k in saved if k.startswith("encoder.encoder.layer.")}
    assert layers == {"4", "5"} and not any(k.startswith("encoder.embeddings.") for k in saved)
    before, after = heads.predict(texts[:5]), TunedHeads.load(tmp_path).predict(texts[:5])
    assert before.elements.shape == (5, 9) and ((before.elements > 0) & (before.elements < 1)).all()
    assert np.allclose(before.modality.sum(1), 1) and np.allclose(before.bearer.sum(1), 1)
    assert all(np.allclose(getattr(before, k), getattr(after, k)) for k in ("elements", "modality", "bearer"))


def test_element_heads_without_an_element_matrix_are_refused(small_gold):
    texts = [r.text for r in small_gold[:8]]
    with pytest.raises(ValueError, match=r"\(8, 9\) 0/1 matrix"):
        TunedHeads(3, 4, layers=1, n_elements=9).fit(texts, np.arange(8) % 3, np.arange(8) % 4)


def test_a_fit_of_exactly_ten_steps_trains(small_gold):
    """OneCycleLR's one-step warm-up (10 steps at pct_start 0.1) divided by zero."""
    texts = [r.text[:80] for r in small_gold[:10]]
    heads = TunedHeads(3, 4, layers=1, max_length=16, epochs=1, batch_size=1, bf16=False)
    assert heads.fit(texts, np.arange(10) % 3, np.arange(10) % 4).predict(texts[:2]).modality.shape == (2, 3)


@pytest.mark.slow
@pytest.mark.parametrize("bf16", [True, False, None])
def test_the_forward_pass_trains_in_the_precision_asked_and_the_saved_model_says_which(tmp_path, small_gold, bf16):
    """None: bfloat16 exactly where the CPU computes it natively."""
    expected = native_bf16() if bf16 is None else bf16
    texts = [r.text for r in small_gold[:16]]
    heads = TunedHeads(3, 4, layers=2, frozen_layers=1, epochs=1, bf16=bf16)
    seen = []
    build = heads._build

    def build_and_watch() -> None:
        build()
        heads.net.head.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))

    heads._build = build_and_watch
    heads.fit(texts, np.arange(16) % 3, np.arange(16) % 4).save(tmp_path)
    assert set(seen) == {torch.bfloat16 if expected else torch.float32}
    assert TunedHeads.load(tmp_path).bf16 is expected


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU on this machine"))])
def test_it_trains_on_the_device_asked_predicts_on_the_cpu_and_the_saved_model_says_where(tmp_path, small_gold, device):
    """None trains on a GPU where torch sees one; a GPU-trained model must load and run on the CPU."""
    texts = [r.text[:200] for r in small_gold[:12]]
    heads = TunedHeads(3, 4, layers=1, max_length=32, epochs=1, n_elements=9, device=device)
    seen = []
    build = heads._build

    def build_and_watch() -> None:
        build()
        heads.net.head.register_forward_hook(lambda module, inputs, output: seen.append(output.device.type))

    heads._build = build_and_watch
    elements = (np.arange(12 * 9).reshape(12, 9) % 4 == 0).astype(np.int8)
    heads.fit(texts, np.arange(12) % 3, np.arange(12) % 4, elements).save(tmp_path)
    assert set(seen) == {device}
    loaded = TunedHeads.load(tmp_path)
    assert loaded.device == device
    assert np.allclose(heads.predict(texts[:3]).modality, loaded.predict(texts[:3]).modality)
    assert TunedHeads(3, 4).device is None  # decided at fit time: CUDA where present
