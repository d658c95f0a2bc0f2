"""Write fixtures/torch-mlp.safetensors and fixtures/torch-mlp.json with PyTorch (torch 1.13).

The file is written by torch_interchange.py's save_file: safetensors.torch.save_file when the
`safetensors` package is installed, else (Debian has no python3-safetensors) the same layout by hand:
an 8-byte little-endian header length, a JSON header padded with spaces to 8 bytes, then the
tensors' raw little-endian bytes.

The JSON holds the model's output on a fixed input, so the test can check nn against PyTorch.
Run: /usr/bin/python3 packages/onnx/scripts/make-torch-fixture.py
"""
import json, os, sys
import torch

torch.manual_seed(0)
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(6, 5)
        self.bn = torch.nn.BatchNorm1d(5)
        self.fc2 = torch.nn.Linear(5, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


net = Net()
# Non-trivial running statistics, so that eval mode is really tested.
net.train()
for _ in range(3):
    net(torch.randn(16, 6))
net.eval()

# The same safetensors writer as the interchange tests (safetensors.torch when installed, else by hand).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_interchange import save_file  # noqa: E402


save_file(net.state_dict(), os.path.join(here, 'torch-mlp.safetensors'), {'format': 'pt'})
x = torch.linspace(-2, 2, 12).reshape(2, 6)
with torch.no_grad():
    y = net(x)
json.dump({'x': x.tolist(), 'y': y.tolist(), 'keys': list(net.state_dict().keys())}, open(os.path.join(here, 'torch-mlp.json'), 'w'), indent=1)
print('wrote', sorted(net.state_dict().keys()))
