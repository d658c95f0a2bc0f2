"""PyTorch CUDA peer for issue 16's GPU benchmark (gpu-scripts/gpu-check.mjs, apps/bench `gpu`).
Same models as nn's side: FMNIST-MLP 784-512-BN-256-10 (batch 256) and a large MLP 784-4096-4096-10
(batch 1024), ReLU, Adam 1e-3, cross-entropy, random data. Inference: samples/s at batch 1024 and
batch-1 latency (eval mode, no_grad). Training: samples/s of one step (fused Adam where this torch
has it, else foreach). CUDA timings synchronize after each call. Prints one JSON line; without CUDA
it prints {"cuda": false, "reason": ...} and exits 0.
   python3 apps/bench/peers/gpu_torch.py [--seconds 3]
"""
import json, sys, time

SECONDS = float(sys.argv[sys.argv.index('--seconds') + 1]) if '--seconds' in sys.argv else 3.0
try:
    import torch
    from torch import nn
except Exception as e:  # no torch at all
    print(json.dumps({'cuda': False, 'reason': f'no torch: {e}'}))
    sys.exit(0)
if not torch.cuda.is_available():
    print(json.dumps({'cuda': False, 'reason': f'torch {torch.__version__}: torch.cuda.is_available() is False'}))
    sys.exit(0)

dev = torch.device('cuda')
MODELS = {'fmnist': ([784, 512, 256, 10], True, 256), 'large': ([784, 4096, 4096, 10], False, 1024)}


def make(sizes, bn):
    layers = [nn.Linear(sizes[0], sizes[1])]
    if bn:
        layers.append(nn.BatchNorm1d(sizes[1]))
    layers += [nn.ReLU(), nn.Linear(sizes[1], sizes[2]), nn.ReLU(), nn.Linear(sizes[2], sizes[3])]
    return nn.Sequential(*layers).to(dev)


def timeit(fn, samples):
    fn(); torch.cuda.synchronize()
    times, end = [], time.perf_counter() + SECONDS
    while time.perf_counter() < end or len(times) < 3:
        t = time.perf_counter(); fn(); torch.cuda.synchronize(); times.append(time.perf_counter() - t)
    times.sort()
    ms = times[len(times) // 2] * 1000
    return {'msPerCall': round(ms, 4), 'samplesPerS': round(samples * 1000 / ms), 'calls': len(times)}


out = {'cuda': True, 'torch': torch.__version__, 'gpu': torch.cuda.get_device_name(0), 'infer': {}, 'train': {}}
torch.manual_seed(0)
for name, (sizes, bn, batch) in MODELS.items():
    m = make(sizes, bn)
    m.eval()
    x = torch.randn(1024, 784, device=dev)
    with torch.no_grad():
        out['infer'][name] = {'b1024': timeit(lambda: m(x), 1024), 'b1': timeit(lambda: m(x[:1]), 1)}
    m.train()
    try:
        opt = torch.optim.Adam(m.parameters(), lr=1e-3, fused=True); kind = 'fused'
    except Exception:
        opt = torch.optim.Adam(m.parameters(), lr=1e-3, foreach=True); kind = 'foreach'
    lossf = nn.CrossEntropyLoss()
    xb, yb = torch.randn(batch, 784, device=dev), torch.randint(0, 10, (batch,), device=dev)

    def step():
        opt.zero_grad(set_to_none=True); lossf(m(xb), yb).backward(); opt.step()
    out['train'][name] = {'batch': batch, 'adam': kind, 'step1': timeit(step, batch)}
print(json.dumps(out))
