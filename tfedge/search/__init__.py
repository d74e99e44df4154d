"""Hardware-aware search (`tfedge search space.yaml --out DIR`): model family parameters and compression
choices searched together with Optuna on Ray Tune, each trial measured on its emulated board, and a
Pareto report. It trains Keras models, so it sits beside optimize: it may import optimize, export,
compiler and emulate; nothing imports it.

    space.py    the search space (YAML or SearchSpace), budgets, objectives
    builders.py the built-in model families (digits_cnn, ds_cnn, mobilenet_v1/v2, resnet_cifar, cnn_1d)
    trial.py    one trial: build, short training, recipe, int8, measure on the board
    run.py      Ray Tune + Optuna (TPE / NSGA-II) + successive halving, the results store, progress
    ordered.py  batched Optuna ask/tell and halving: the same front whatever order workers finish in
    dnas.py     differentiable width search (channel-group gates, cost from the measured table)
    cost_table.py  per-board measured instructions per channel per layer, fitted and cached
    store.py    DIR/trials.jsonl (resume)
    pareto.py   budgets, the front, winners, the closest trials
    report.py   search.json, pareto.png, search.html
"""
