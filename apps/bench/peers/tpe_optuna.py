"""Optuna's default TPESampler and RandomSampler on the test problems of
packages/tune/bench/problems.ts (same search spaces, same minima, same budget).

    /usr/bin/python3 tpe_optuna.py '{"seeds": 30, "trials": 100, "problems": ["branin", ...], "workers": 2}'

Prints one JSON line: {"optuna": version, "seconds": wall, "regrets": {problem: {"tpe": [...], "random": [...]}}}.
Regret = the noiseless value of the best trial (best by the value the sampler saw) - the minimum.
"""
import json
import math
import sys
import time
from multiprocessing import Pool

import numpy as np
import optuna

BRANIN_MIN = 0.397887357729738


def branin_value(x1, x2):
    b = 5.1 / (4 * math.pi ** 2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6_P = [[v * 1e-4 for v in r] for r in [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]]
H3_A = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
H3_P = [[v * 1e-4 for v in r] for r in [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]]
H_ALPHA = [1, 1.2, 3, 3.2]


def hartmann(x, a, p):
    s = 0.0
    for i in range(4):
        inner = sum(a[i][j] * (x[j] - p[i][j]) ** 2 for j in range(len(x)))
        s += H_ALPHA[i] * math.exp(-inner)
    return -s


def unit_box(t, n):
    return [t.suggest_float(f"x{i + 1}", 0, 1) for i in range(n)]


def p_branin(t):
    return branin_value(t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15))


def p_hartmann6(t):
    return hartmann(unit_box(t, 6), H6_A, H6_P)


def p_conditional(t):
    model = t.suggest_categorical("model", ["quad", "branin", "grid"])
    if model == "quad":
        return 1 + 0.5 * (t.suggest_float("quad_x", -5, 5) - 2) ** 2
    if model == "branin":
        return (branin_value(t.suggest_float("branin_x1", -5, 10), t.suggest_float("branin_x2", 0, 15)) - BRANIN_MIN) / 10
    return 0.5 + 0.1 * abs(t.suggest_int("grid_w", 1, 10) - 7) + (t.suggest_float("grid_z", 0, 1) - 0.5) ** 2


ACT_OFFSET = {"relu": 0.3, "tanh": 0.0, "sigmoid": 0.6, "elu": 0.15}
ACT_UNITS = {"relu": 8, "tanh": 20, "sigmoid": 14, "elu": 26}


def p_mixed(t):
    units = t.suggest_int("units", 1, 32)
    act = t.suggest_categorical("act", ["relu", "tanh", "sigmoid", "elu"])
    x = t.suggest_float("x", 0, 1)
    return 0.02 * (units - ACT_UNITS[act]) ** 2 + ACT_OFFSET[act] + 2 * (x - 0.3) ** 2


def p_noisy_hartmann3(t):
    return hartmann(unit_box(t, 3), H3_A, H3_P)


def p_log_scale(t):
    a = math.log10(t.suggest_float("lr", 1e-6, 1, log=True)) + 3
    b = math.log10(t.suggest_float("wd", 1e-7, 1e-1, log=True)) + 4.5
    cliff = 2 * (a - 2) if a > 2 else 0
    return 0.25 * a * a + 0.1 * b * b + 0.15 * a * b + cliff


# name: (objective, minimum, noise sd)
PROBLEMS = {
    "branin": (p_branin, BRANIN_MIN, 0.0),
    "hartmann6": (p_hartmann6, -3.32236801141551, 0.0),
    "conditional": (p_conditional, 0.0, 0.0),
    "mixed": (p_mixed, 0.0, 0.0),
    "noisy_hartmann3": (p_noisy_hartmann3, -3.86278214782076, 0.1),
    "log_scale": (p_log_scale, 0.0, 0.0),
}


def run_one(task):
    problem, sampler_name, seed, trials = task
    fn, minimum, noise = PROBLEMS[problem]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed) if sampler_name == "tpe" else optuna.samplers.RandomSampler(seed=seed)
    noise_rng = np.random.RandomState(seed)

    def objective(t):
        clean = fn(t)
        t.set_user_attr("clean", clean)
        return clean + noise * noise_rng.normal() if noise > 0 else clean

    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=trials)
    return problem, sampler_name, seed, study.best_trial.user_attrs["clean"] - minimum


def main():
    cfg = json.loads(sys.argv[1])
    seeds, trials = cfg["seeds"], cfg["trials"]
    problems = cfg.get("problems", list(PROBLEMS))
    tasks = [(p, s, 1000 + i, trials) for p in problems for s in ("tpe", "random") for i in range(seeds)]
    t0 = time.time()
    with Pool(cfg.get("workers", 2)) as pool:
        out = pool.map(run_one, tasks, chunksize=1)
    regrets = {p: {"tpe": [], "random": []} for p in problems}
    for p, s, seed, r in sorted(out, key=lambda x: (x[0], x[1], x[2])):
        regrets[p][s].append(r)
    print(json.dumps({"optuna": optuna.__version__, "seconds": time.time() - t0, "regrets": regrets}))


if __name__ == "__main__":
    main()
