"""torch.onnx peer for apps/bench (issue 6): export FMNIST-MLP in eval mode with the weights nn used.

784 -> Linear 256 relu -> Dropout .2 -> BatchNorm1d -> Linear 128 relu -> Dropout .2 -> Linear 10
(PyTorch state-dict names: 0.*, 3.* with running_mean/running_var, 4.*, 7.*).

Usage: /usr/bin/python3 fmnist_mlp_export_torch.py weights.safetensors out.onnx
Reads the safetensors file by hand (json + struct), so the `safetensors` package is not needed.
Prints the torch version as a JSON string.
"""
import json, struct, sys
import torch
from torch import nn

src, dst = sys.argv[1], sys.argv[2]
b = open(src, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
header = json.loads(b[8:8 + n])
dtypes = {'F32': torch.float32, 'I32': torch.int32, 'I64': torch.int64}
sd = {}
for k, v in header.items():
    if k == '__metadata__':
        continue
    s, e = v['data_offsets']
    sd[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=dtypes[v['dtype']]).reshape(v['shape'])

net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm1d(256),
                    nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
missing, unexpected = net.load_state_dict(sd, strict=False)
assert not unexpected and all(k.endswith('num_batches_tracked') for k in missing), (missing, unexpected)
net.eval()
torch.onnx.export(net, torch.zeros(1, 784), dst, input_names=['x'], output_names=['logits'],
                  dynamic_axes={'x': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=17)
print(json.dumps(torch.__version__))  # runPython reads the last stdout line as JSON
