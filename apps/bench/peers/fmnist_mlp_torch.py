"""PyTorch peer for the FMNIST-MLP (issue 4): 784 -> Dense 256 relu -> Dropout .2 -> BatchNorm ->
Dense 128 relu -> Dropout .2 -> Dense 10; Glorot-uniform; Adam 1e-3 eps 1e-7; batch 64; x/255.
Prints JSON: test accuracy per epoch, seconds per epoch. Run with /usr/bin/python3 (Debian torch).
"""
import gzip, json, sys, time, struct
import numpy as np
import torch
from torch import nn

DIR = sys.argv[1] if len(sys.argv) > 1 else '/usr/share/datasets/fashion-mnist'
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 15
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 0
torch.manual_seed(SEED)
np.random.seed(SEED)

def idx(name):
    d = gzip.open(f'{DIR}/{name}.gz').read()
    nd = d[3]
    dims = struct.unpack('>' + 'I' * nd, d[4:4 + 4 * nd])
    return np.frombuffer(d, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)

xtr = torch.tensor(idx('train-images-idx3-ubyte').reshape(-1, 784) / 255.0, dtype=torch.float32)
ytr = torch.tensor(idx('train-labels-idx1-ubyte').astype(np.int64))
xte = torch.tensor(idx('t10k-images-idx3-ubyte').reshape(-1, 784) / 255.0, dtype=torch.float32)
yte = torch.tensor(idx('t10k-labels-idx1-ubyte').astype(np.int64))

model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm1d(256),
                      nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
for m in model:
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)
opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
lossf = nn.CrossEntropyLoss()
accs, secs = [], []
for epoch in range(EPOCHS):
    model.train(); t0 = time.perf_counter()
    perm = torch.randperm(len(xtr))
    for s in range(0, len(xtr), 64):
        i = perm[s:s + 64]
        opt.zero_grad(); loss = lossf(model(xtr[i]), ytr[i]); loss.backward(); opt.step()
    secs.append(time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        accs.append(float((model(xte).argmax(1) == yte).float().mean()))
print(json.dumps({'test_accuracy': accs, 'epoch_seconds': secs, 'threads': torch.get_num_threads(), 'torch': torch.__version__}))
