"""Export the FMNIST MLP (784-256-128-10) with torch.onnx, using the weights in a safetensors file.

Usage: /usr/bin/python3 torch-export.py weights.safetensors out.onnx
The weights are read by hand (struct/json) so the `safetensors` package is not needed.
"""
import json, struct, sys
import torch

src, dst = sys.argv[1], sys.argv[2]
b = open(src, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
sd = {}
for k, v in h.items():
    if k == '__metadata__':
        continue
    s, e = v['data_offsets']
    sd[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=torch.float32).reshape(v['shape'])

net = torch.nn.Sequential(
    torch.nn.Linear(784, 256), torch.nn.ReLU(),
    torch.nn.Linear(256, 128), torch.nn.ReLU(),
    torch.nn.Linear(128, 10), torch.nn.Softmax(dim=1),
)
net.load_state_dict(sd)
net.eval()
torch.onnx.export(net, torch.zeros(1, 784), dst, input_names=['x'], output_names=['probs'],
                  dynamic_axes={'x': {0: 'batch'}, 'probs': {0: 'batch'}}, opset_version=17)
print(torch.__version__)
