"""PyTorch peer for apps/bench (issue 4): time ONE training epoch of FMNIST-MLP on this machine.

784 -> Linear 256 relu -> Dropout .2 -> BatchNorm1d -> Linear 128 relu -> Dropout .2 -> Linear 10;
Glorot-uniform; Adam 1e-3 eps 1e-7 (foreach=True: torch 1.13's batched update, its fastest on CPU); batch 64; inputs x/255; shuffled every epoch (as fmnist_mlp_torch.py).

Usage: /usr/bin/python3 fmnist_epoch_torch.py DIR ROWS REPS THREADS[,THREADS...]
"At its best": each thread count is first probed on 2,048 rows (after a warm-up); the epochs are
timed with the fastest. On a loaded 2-core machine two OpenMP threads can be 40x slower than one.
Prints one JSON line: torch version, BLAS in use (build config and the libraries mapped into the
process), the probe seconds per thread count, the thread count chosen and the seconds of every
timed epoch.
"""
import ctypes, gzip, json, re, struct, sys, time
import numpy as np
import torch
from torch import nn

DIR, ROWS, REPS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
THREADS = [int(t) for t in sys.argv[4].split(',')]


def idx(name):
    d = gzip.open(f'{DIR}/{name}.gz').read()
    nd = d[3]
    dims = struct.unpack('>' + 'I' * nd, d[4:4 + 4 * nd])
    return np.frombuffer(d, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


xtr = torch.tensor(idx('train-images-idx3-ubyte').reshape(-1, 784)[:ROWS] / 255.0, dtype=torch.float32)
ytr = torch.tensor(idx('train-labels-idx1-ubyte')[:ROWS].astype(np.int64))


def make():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm1d(256),
                          nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)


def epoch(model, opt, lossf, rows):
    model.train()
    perm = torch.randperm(rows)
    for s in range(0, rows, 64):
        i = perm[s:s + 64]
        opt.zero_grad()
        loss = lossf(model(xtr[i]), ytr[i])
        loss.backward()
        opt.step()
    return float(loss)


def set_threads(t):
    """torch.set_num_threads, and the same for the pthreads OpenBLAS pool (which ignores it)."""
    torch.set_num_threads(t)
    for lib in sorted({l.split()[-1] for l in open('/proc/self/maps') if 'libopenblas' in l}):
        try:
            ctypes.CDLL(lib).openblas_set_num_threads(t)
        except (OSError, AttributeError):
            pass


lossf = nn.CrossEntropyLoss()
# At its best: FTZ/DAZ (Adam's moments of zero-gradient weights otherwise stick in the subnormals).
out = {'flush_denormal': torch.set_flush_denormal(True), 'torch': torch.__version__, 'rows': int(xtr.shape[0]), 'default_threads': torch.get_num_threads(), 'probe': {}}
PROBE = min(2048, ROWS)
for t in THREADS:
    set_threads(t)
    model, opt = make()
    epoch(model, opt, lossf, PROBE)  # warm-up: allocator, BLAS threads
    t0 = time.perf_counter()
    epoch(model, opt, lossf, PROBE)
    out['probe'][str(t)] = time.perf_counter() - t0
best = min(THREADS, key=lambda t: out['probe'][str(t)])
set_threads(best)
model, opt = make()
epoch(model, opt, lossf, PROBE)
secs = []
for _ in range(REPS):
    t0 = time.perf_counter()
    epoch(model, opt, lossf, int(xtr.shape[0]))
    secs.append(time.perf_counter() - t0)
out['threads'] = best
out['seconds'] = secs

cfg = torch.__config__.show()
m = re.search(r'BLAS_INFO=([^,\s]+)', cfg)
libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if re.search(r'blas|mkl|lapack', l.split()[-1] if len(l.split()) > 5 else '', re.I)})
out['blas_info'] = m.group(1) if m else None
out['blas_libs'] = libs
out['mkldnn'] = torch.backends.mkldnn.is_available()
print(json.dumps(out))
