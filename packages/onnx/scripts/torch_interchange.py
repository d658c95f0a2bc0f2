"""PyTorch side of the safetensors interchange tests (src/safetensors.test.ts).

Two modes:

  /usr/bin/python3 packages/onnx/scripts/torch_interchange.py gen
      Writes fixtures/torch-seq.safetensors (the state dict of a torch.nn.Sequential with
      Linear, ReLU, Dropout, BatchNorm1d in eval mode, Linear) and fixtures/torch-seq.json (its
      eval output on a fixed input, and the state dict's keys, dtypes and shapes). Committed, so the
      tests check interchange on machines without torch (CI).

  /usr/bin/python3 packages/onnx/scripts/torch_interchange.py check FILE X_JSON
      Loads FILE (written by nn) into the same torch module with load_state_dict(strict=True),
      runs it in eval mode on X_JSON (a nested list) and prints JSON {y, missing, unexpected, dtypes}.

The file is written and read with safetensors.torch.save_file / load_file when the `safetensors`
package is installed; otherwise with the equivalent below (Debian has no python3-safetensors):
an 8-byte little-endian header length, a JSON header padded with spaces to 8 bytes, then the
tensors' little-endian bytes ordered by decreasing element size, then name.
"""
import json
import os
import struct
import sys

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')
DT = {torch.float32: 'F32', torch.float64: 'F64', torch.int64: 'I64', torch.int32: 'I32', torch.bool: 'BOOL', torch.uint8: 'U8'}
TD = {v: k for k, v in DT.items()}
SIZE = {'F32': 4, 'F64': 8, 'I64': 8, 'I32': 4, 'BOOL': 1, 'U8': 1}

try:
    from safetensors.torch import load_file, save_file  # noqa: F401  (preferred when installed)
    WRITER = 'safetensors.torch'
except ImportError:
    WRITER = 'torch_interchange.py (safetensors layout by hand)'

    def save_file(tensors, path, metadata=None):
        names = sorted(tensors, key=lambda k: (-SIZE[DT[tensors[k].dtype]], k))
        header, blobs, off = {}, [], 0
        if metadata:
            header['__metadata__'] = metadata
        for k in names:
            t = tensors[k].detach().contiguous().cpu()
            b = t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()
            header[k] = {'dtype': DT[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
            blobs.append(b)
            off += len(b)
        h = json.dumps(header, separators=(',', ':')).encode()
        h += b' ' * ((8 - (len(h) + 8) % 8) % 8)
        with open(path, 'wb') as f:
            f.write(struct.pack('<Q', len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)

    def load_file(path):
        b = open(path, 'rb').read()
        n = struct.unpack('<Q', b[:8])[0]
        header = json.loads(b[8:8 + n])
        out = {}
        for k, v in header.items():
            if k == '__metadata__':
                continue
            s, e = v['data_offsets']
            dt = TD[v['dtype']]
            raw = bytearray(b[8 + n + s:8 + n + e])
            t = torch.frombuffer(raw, dtype=dt) if raw else torch.empty(0, dtype=dt)
            out[k] = t.reshape(v['shape'])
        return out


def make_net():
    """The module both sides build: nn.Sequential(Linear(6, 5), ReLU, Dropout(0.2), BatchNorm1d(5), Linear(5, 3))."""
    return torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.BatchNorm1d(5), torch.nn.Linear(5, 3),
    )


def gen():
    torch.manual_seed(1)
    net = make_net()
    net.train()
    with torch.no_grad():  # non-trivial running statistics
        for _ in range(4):
            net(torch.randn(16, 6) * 2 + 0.5)
    net.eval()
    sd = net.state_dict()
    save_file(sd, os.path.join(HERE, 'torch-seq.safetensors'), {'format': 'pt'})
    x = torch.randn(4, 6) * 1.5  # random rows, so that different ReLU units are active per row
    with torch.no_grad():
        y = net(x)
    info = {
        'writer': WRITER, 'torch': torch.__version__, 'x': x.tolist(), 'y': y.tolist(),
        'state': {k: {'dtype': DT[t.dtype], 'shape': list(t.shape)} for k, t in sd.items()},
    }
    with open(os.path.join(HERE, 'torch-seq.json'), 'w') as f:
        json.dump(info, f, indent=1)
    print('wrote', list(sd.keys()), 'with', WRITER)


def check(path, x_json):
    sd = load_file(path)
    net = make_net()
    r = net.load_state_dict(sd, strict=True)  # raises on missing / unexpected keys or shape mismatch
    net.eval()
    x = torch.tensor(json.loads(open(x_json).read()), dtype=torch.float32)
    with torch.no_grad():
        y = net(x)
    print(json.dumps({
        'y': y.tolist(), 'missing': list(r.missing_keys), 'unexpected': list(r.unexpected_keys),
        'dtypes': {k: str(v.dtype) for k, v in sd.items()}, 'writer': WRITER,
        'num_batches_tracked': int(net[3].num_batches_tracked.item()),
    }))


if __name__ == '__main__':
    if sys.argv[1:2] == ['gen']:
        gen()
    elif sys.argv[1:2] == ['check'] and len(sys.argv) == 4:
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit('usage: torch_interchange.py gen | check FILE X_JSON')
