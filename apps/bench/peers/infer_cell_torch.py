"""PyTorch EAGER inference peer cell for apps/bench's fair method (src/fair-run.ts, src/infer-fair.ts).

Usage: /usr/bin/python3 infer_cell_torch.py '{"model":"mlp"|"fmnist","weights":"w.safetensors","batch":1,"threads":1,"data":"DIR"}'
       (run with OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE = the fastest kernel and OPENBLAS_NUM_THREADS = threads:
       apps/bench's torchEnv(threads); the pthreads OpenBLAS ignores torch.set_num_threads).

mlp:    784 -> Linear 256 relu -> Linear 128 relu -> Linear 10 -> softmax (state-dict 0.*, 2.*, 4.*)
fmnist: 784 -> Linear 256 relu -> Dropout .2 -> BatchNorm1d -> Linear 128 relu -> Dropout .2 -> Linear 10
        (0.*, 3.* with running statistics, 4.*, 7.*)
The weights nn exported (read by hand: json + struct). model.eval(), torch.no_grad(); input: the
first `batch` Fashion-MNIST test rows (x/255), the rows nn's side feeds. Each step is one forward
call on the batch, its output read back as a contiguous float32 array (as onnxruntime returns it).
Ready line: torch version, BLAS, the 1024^3 sgemm check, and the first 4 rows' outputs (parity).
Requests as train_cell_torch.py: probe / run / exit.
"""
import gzip, json, os, re, struct, sys, time
import torch
from torch import nn

from blas_check import blas_core, sgemm_gflops  # the peers directory is sys.path[0]

cfg = json.loads(sys.argv[1])
B = cfg['batch']
say = lambda o: print('@@cell@@' + json.dumps(o), flush=True)


def load_safetensors(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n])
    sd = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        s, e = v['data_offsets']
        dt = {'F32': torch.float32, 'F64': torch.float64}[v['dtype']]  # a float64 backend saves F64
        sd[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=dt).reshape(v['shape']).float()
    return sd


try:
    torch.set_num_threads(cfg['threads'])
    FLUSH = torch.set_flush_denormal(True)  # at its best, as train_cell_torch.py
    if cfg['model'] == 'mlp':
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=1))
    else:
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm1d(256),
                            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    missing, unexpected = net.load_state_dict(load_safetensors(cfg['weights']), strict=False)
    assert not unexpected and all(k.endswith('num_batches_tracked') for k in missing), (missing, unexpected)
    net.eval()
    d = gzip.open(f"{cfg['data']}/t10k-images-idx3-ubyte.gz").read()
    X = (torch.frombuffer(bytearray(d[16:16 + max(B, 4) * 784]), dtype=torch.uint8).float() / 255.0).reshape(-1, 784)
    xb = X[:B].contiguous()

    def step():
        with torch.no_grad():
            return net(xb).numpy()

    def timed(steps):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        return {'steps': steps, 'wall': time.perf_counter() - w0, 'cpu': time.process_time() - c0}

    for _ in range(20):
        step()
    with torch.no_grad():
        head = net(X[:4]).reshape(-1).tolist()
    gflops, gflops_wall = sgemm_gflops()
    libs = sorted({l.split()[-1].split('/')[-1] for l in open('/proc/self/maps') if re.search(r'blas|mkl', l.split()[-1] if len(l.split()) > 5 else '', re.I)})
    say({'ready': True, 'gflops': gflops, 'gflopsWall': gflops_wall, 'blasCore': blas_core(), 'head': head,
         'info': f"torch {torch.__version__} eager, no_grad, {torch.get_num_threads()} thread(s) (OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; {len(os.listdir('/proc/self/task'))} OS threads after warm-up), flush denormals {FLUSH}, BLAS {', '.join(libs) or 'none found'}"})
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
            while t['wall'] < req['seconds'] and steps < 1 << 22:
                steps = max(steps * 2, int(steps * req['seconds'] / max(t['wall'], 1e-4) / 2) + 1)
                t = timed(steps)
            say(t)
        else:
            say({'error': f"unknown request {req['cmd']!r}"})
    except Exception as e:  # noqa: BLE001
        say({'error': f'{type(e).__name__}: {e}'})
