"""PyTorch peer cell for apps/bench's fair method (src/fair-run.ts): one model, batch and thread count,
warmed, answering JSON requests on stdin, one reply line each on stdout (prefixed @@cell@@).

Usage: /usr/bin/python3 train_cell_torch.py '{"model":"mlp","batch":64,"threads":1,"rows":54000,"data":"DIR"}'
       (run with OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE = the fastest kernel and OPENBLAS_NUM_THREADS =
       threads: apps/bench's torchEnv(threads); the pthreads OpenBLAS ignores torch.set_num_threads).
PyTorch at its best: torch.set_flush_denormal(True) (FTZ/DAZ: Adam's first moments of weights with
zero gradients decay into float32's subnormals and stick there, 2x its step time on an Intel Xeon).

Models, as src/cells/train-cell.ts: mlp (784-256-128-10), mlp:W1,W2, fmnist (the main job's
784-512 relu-BatchNorm1d-dropout .2-256 relu-dropout .2-10), cnn (conv16 3x3-relu-maxpool2-conv32
3x3-relu-maxpool2-flatten-linear10). PyTorch's default init (the distributions nn's PyTorch door
uses: kaiming_uniform(a=sqrt 5), bias uniform(+-1/sqrt fan_in)). Adam with foreach=True (torch
1.13's batched implementation, its fastest on CPU): lr 1e-3 (lr 2e-3, eps 1e-7 for fmnist).
Data path: the first ROWS Fashion-MNIST training rows in memory (x/255); a random permutation per
epoch; each step gathers its batch by index (X[idx]).
Requests: {"cmd":"probe","seconds":s} | {"cmd":"run","steps":n} | {"cmd":"exit"}; replies
{"steps","wall","cpu"} with cpu = time.process_time() (user + system, all threads of the process).
The ready line carries the 1024^3 sgemm GFLOP per CPU-second of the process (best of 5; per
wall-second too): the peer sanity check (a reference BLAS gives ~8, OpenBLAS ~180).
"""
import gzip, json, os, re, struct, sys, time
import torch
from torch import nn

from blas_check import blas_core, sgemm_gflops  # the peers directory is sys.path[0]

cfg = json.loads(sys.argv[1])
B, T, ROWS = cfg['batch'], cfg['threads'], cfg['rows']
say = lambda o: print('@@cell@@' + json.dumps(o), flush=True)


def idx(name):
    d = gzip.open(f"{cfg['data']}/{name}.gz").read()
    nd = d[3]
    dims = struct.unpack('>' + 'I' * nd, d[4:4 + 4 * nd])
    return torch.frombuffer(bytearray(d[4 + 4 * nd:]), dtype=torch.uint8).reshape(dims)


def model(name):
    if name == 'fmnist':
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.BatchNorm1d(512), nn.Dropout(0.2),
                             nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))
    if name == 'cnn':
        return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 5 * 5, 10))
    if name == 'mlp':
        w = [784, 256, 128, 10]
    else:
        m = re.fullmatch(r'mlp:(\d+(?:,\d+)*)', name)
        if not m:
            raise ValueError(f'unknown model {name!r}')
        w = [784] + [int(v) for v in m.group(1).split(',')] + [10]
    layers = []
    for i in range(len(w) - 1):
        layers.append(nn.Linear(w[i], w[i + 1]))
        if i + 2 < len(w):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


try:
    torch.set_num_threads(T)
    FLUSH = torch.set_flush_denormal(True)
    torch.manual_seed(0)
    X = (idx('train-images-idx3-ubyte')[:ROWS].float() / 255.0).reshape(-1, 784)
    Y = idx('train-labels-idx1-ubyte')[:ROWS].long()
    if cfg['model'] == 'cnn':
        X = X.reshape(-1, 1, 28, 28)
    N = X.shape[0]
    net = model(cfg['model'])
    net.train()
    lr, eps = (2e-3, 1e-7) if cfg['model'] == 'fmnist' else (1e-3, 1e-8)
    opt = torch.optim.Adam(net.parameters(), lr=lr, eps=eps, foreach=True)
    lossf = nn.CrossEntropyLoss()
    state = {'perm': None, 'pos': N}

    def step():
        if state['pos'] + B > N:
            state['perm'], state['pos'] = torch.randperm(N), 0
        i = state['perm'][state['pos']:state['pos'] + B]
        state['pos'] += B
        opt.zero_grad()
        loss = lossf(net(X[i]), Y[i])
        loss.backward()
        opt.step()
        return loss.item()

    def timed(steps):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        return {'steps': steps, 'wall': time.perf_counter() - w0, 'cpu': time.process_time() - c0}

    for _ in range(3):
        step()
    libs = sorted({l.split()[-1].split('/')[-1] for l in open('/proc/self/maps') if re.search(r'blas|mkl', l.split()[-1] if len(l.split()) > 5 else '', re.I)})
    gflops, gflops_wall = sgemm_gflops()
    say({'ready': True, 'gflops': gflops, 'gflopsWall': gflops_wall, 'blasCore': blas_core(),
         'info': f"torch {torch.__version__}, {torch.get_num_threads()} thread(s) (OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; {len(os.listdir('/proc/self/task'))} OS threads after warm-up), Adam foreach=True, flush denormals {FLUSH}, BLAS {', '.join(libs) or 'none found'}"})
except Exception as e:  # noqa: BLE001 - reported to the harness
    say({'error': f'setup failed: {type(e).__name__}: {e}'})
    sys.exit(0)

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    try:
        if req['cmd'] == 'exit':
            break
        if req['cmd'] == 'run':
            say(timed(req['steps']))
        elif req['cmd'] == 'probe':
            steps = 1
            t = timed(steps)
            while t['wall'] < req['seconds'] and steps < 1 << 20:
                steps = max(steps * 2, int(steps * req['seconds'] / max(t['wall'], 1e-3) / 2) + 1)
                t = timed(steps)
            say(t)
        else:
            say({'error': f"unknown request {req['cmd']!r}"})
    except Exception as e:  # noqa: BLE001
        say({'error': f'{type(e).__name__}: {e}'})
