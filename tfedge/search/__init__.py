"""Hardware-aware search (`tfedge search space.yaml --out DIR`): model family parameters and compression
choices searched together with Optuna on Ray Tune, each trial measured on its emulated board, and a
Pareto report. It trains Keras models, so it sits beside optimize: it may import optimize, export,
compiler and emulate; nothing imports it.

    space.py    the search space (YAML or SearchSpace), budgets, objectives
    builders.py the built-in model families (digits_cnn, ds_cnn)
    trial.py    one trial: build, short training, recipe, int8, measure on the board
    run.py      Ray Tune + Optuna (TPE / NSGA-II) + ASHA, the results store, progress
    store.py    DIR/trials.jsonl (resume)
    pareto.py   budgets, the front, winners, the closest trials
    report.py   search.json, pareto.png, search.html
"""
