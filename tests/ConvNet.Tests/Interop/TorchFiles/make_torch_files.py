# Makes the PyTorch files TorchFileTests reads, with the PyTorch that made them (Debian's python3-torch 1.13):
#   python3 make_torch_files.py
# Each file's tensors are written to expected.json too (shape, dtype, and every value as float32 holds it, in 9
# significant digits, which give the float32 back exactly), so the tests compare what our reader gets with what torch
# itself saved. A file with the same tensors as one before it names that one instead.
import collections, json, torch

torch.manual_seed(2012)

def micro_state_dict():
    # alexnet-micro's parameter names and shapes (convnet info --model alexnet-micro)
    shapes = [("conv1", [8, 1, 7, 7]), ("conv2", [16, 4, 3, 3]), ("conv3", [16, 16, 3, 3]), ("conv4", [16, 8, 3, 3]),
              ("conv5", [16, 8, 3, 3]), ("fc6", [32, 16]), ("fc7", [32, 32]), ("fc8", [10, 32])]
    d = collections.OrderedDict()
    for name, shape in shapes:
        d[name + ".weight"] = torch.randn(shape) * 0.1
        d[name + ".bias"] = torch.randn(shape[0]) * 0.01
    return d

def formats():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8
    d = collections.OrderedDict()
    d["half"] = (torch.randn(3, 5) * 4).half()
    d["bfloat16"] = (torch.randn(2, 7) * 4).bfloat16()
    d["transposed"] = base.t()                # strides (1, 6): not contiguous
    d["offset_slice"] = base[1:3, 2:5]        # storage offset 8, strides (6, 1)
    d["same_storage"] = base                  # shares the storage of the two above
    d["scalar"] = torch.tensor(2.5)
    d["empty"] = torch.zeros(0, 3)
    return d

files = {}
def save(name, obj, legacy, expected, same_as=None, protocol=2):
    torch.save(obj, name, _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)
    files[name] = same_as or {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""),
                                  "values": [float("%.9g" % x) for x in v.float().flatten().tolist()]} for k, v in expected.items()}

micro = micro_state_dict()
save("micro-zip.pth", micro, False, micro)
save("micro-legacy.pth", micro, True, micro, same_as="micro-zip.pth")
f = formats()
save("formats-zip.pth", f, False, f)
save("formats-legacy.pth", f, True, f, same_as="formats-zip.pth")

# A training checkpoint as PyTorch's ImageNet example writes it for AlexNet: model.features wrapped in DataParallel
# (so "features.module.0.weight"), with the epoch, architecture, best accuracy and optimizer state beside it.
class TorchvisionLikeAlexNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())
        self.classifier = torch.nn.Sequential(torch.nn.Linear(4, 2))
    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))
model = TorchvisionLikeAlexNet()
model.features = torch.nn.DataParallel(model.features)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
model(torch.randn(1, 3, 3, 3)).sum().backward()
optimizer.step()
checkpoint = {"epoch": 3, "arch": "alexnet", "state_dict": model.state_dict(), "best_acc1": torch.tensor(56.5),
              "optimizer": optimizer.state_dict()}
save("imagenet-example-checkpoint.pth.tar", checkpoint, False, model.state_dict())

# Pickle protocol 4 (torch.save's pickle_protocol), in both formats.
save("formats-legacy-p4.pth", f, True, f, same_as="formats-zip.pth", protocol=4)
save("formats-zip-p4.pth", f, False, f, same_as="formats-zip.pth", protocol=4)

# An integer buffer beside the weights (BatchNorm's num_batches_tracked): left out with a note.
with_buffer = collections.OrderedDict(micro)
with_buffer["bn.num_batches_tracked"] = torch.tensor(5)
save("micro-with-buffer.pth", with_buffer, False, micro, same_as="micro-zip.pth")

# Refused, each with its own message: an empty dict, and a TorchScript archive (torch.jit.save).
torch.save({}, "empty.pth")
files["empty.pth"] = None
torch.jit.save(torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 2))), "scripted.pt")
files["scripted.pt"] = None

# A whole pickled module (torch.save(model)): needs its Python class to be read, so it is refused.
torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2)), "whole-module.pth")
files["whole-module.pth"] = None

with open("expected.json", "w") as out:
    json.dump({"torch": torch.__version__, "files": files}, out, separators=(",", ":"))
