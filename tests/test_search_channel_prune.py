"""tfedge search: the channel-pruning ratio as a recipe choice (recipe.channel_prune, the fraction of the
MACs removed as whole filters by tfedge.optimize's channel_prune)."""

from __future__ import annotations

import pytest

from tfedge.optimize.recipe import ChannelPrune, Cluster, Int8, Prune, Train
from tfedge.search.space import SearchError, SearchSpace
from tfedge.search.trial import recipe_for

PARAMS = {"model.width": 8, "model.depth": 2, "model.kernel": 3, "recipe.sparsity": 0.5, "recipe.clusters": 8,
          "recipe.quantization": "ptq", "board": "stm32f405"}


def test_the_ratio_is_a_checked_choice_and_absent_keeps_the_old_space():
    space = SearchSpace.from_dict({"recipe": {"channel_prune": [0, 0.5]}})
    assert space.choices()["recipe.channel_prune"] == [0, 0.5]
    # not searched unless named: the default space (and so every stored trial's key) has no such parameter
    assert "recipe.channel_prune" not in SearchSpace.from_dict({}).choices()
    for bad in ([1.0], [-0.25], ["half"]):
        with pytest.raises(SearchError, match="recipe.channel_prune"):
            SearchSpace.from_dict({"recipe": {"channel_prune": bad}})


def test_the_recipe_prunes_channels_before_the_weights():
    space = SearchSpace.from_dict({"recipe": {"channel_prune": [0.0, 0.5]}, "epochs": 4, "short_epochs": 2})
    stages = recipe_for(space, {**PARAMS, "recipe.channel_prune": 0.5}, 2).stages
    assert [type(s) for s in stages] == [Train, ChannelPrune, Prune, Cluster, Int8]
    assert stages[1].macs == 0.5 and stages[1].multiple_of == 4 and stages[1].epochs == space.finetune_epochs
    assert ChannelPrune not in [type(s) for s in recipe_for(space, {**PARAMS, "recipe.channel_prune": 0.0}, 2).stages]
    assert ChannelPrune not in [type(s) for s in recipe_for(space, PARAMS, 2).stages]  # a space without the key


@pytest.mark.slow
@pytest.mark.qemu
def test_a_channel_pruned_trial_measures_fewer_instructions(tmp_path):
    from tfedge.search.trial import run_trial

    space = SearchSpace.from_dict({"boards": ["stm32f405"], "recipe": {"channel_prune": [0.0, 0.5]}, "epochs": 1,
                                   "short_epochs": 1, "samples": 16})
    base = {**PARAMS, "recipe.sparsity": 0.0, "recipe.clusters": 0}
    results = {}
    for ratio in (0.0, 0.5):
        early: list[dict] = []
        (tmp_path / str(ratio)).mkdir()  # the search makes each trial's folder
        # the unpruned trial without the halving's early board run (None: nothing to stop), to save a build
        checkpoint = (lambda _step, m: early.append(m)) if ratio else None
        metrics = run_trial(space, {**base, "recipe.channel_prune": ratio}, tmp_path / str(ratio), checkpoint)
        assert metrics["fits"] and metrics["board_samples"] == 16 and 0 <= metrics["accuracy"] <= 1
        results[ratio] = (early, metrics)
    full, ([early], pruned) = results[0.0][1], results[0.5]
    # half the MACs removed as whole filters: well under the unpruned model's instructions, flash and RAM
    assert pruned["instructions"] < 0.75 * full["instructions"], (pruned["instructions"], full["instructions"])
    assert pruned["flash_bytes"] < full["flash_bytes"] and pruned["ram_bytes"] <= full["ram_bytes"]
    # the halving's early cost is the pruned shape's (not the unpruned model's), close to the final figure
    assert early["early_ms"] < 0.75 * full["ms"]
    assert early["early_ms"] == pytest.approx(pruned["ms"], rel=0.05)
    print(f"channel_prune 0.5 on stm32f405: {full['instructions']:,} -> {pruned['instructions']:,} instructions, "
          f"flash {full['flash_bytes']:,} -> {pruned['flash_bytes']:,} B, RAM {full['ram_bytes']:,} -> {pruned['ram_bytes']:,} B, "
          f"early {early['early_ms']:.3f} ms, final {pruned['ms']:.3f} ms")
