#!/usr/bin/python3
"""Converts a PyTorch checkpoint (.pth: torchvision's ImageNet files, or any pickled state dict)
into a safetensors file that `genre train --pretrained` reads.

    /usr/bin/python3 scripts/pth_to_safetensors.py densenet121-a639ec97.pth densenet121.safetensors

genre reads no pickle itself: a .pth is a zip holding a pickled Python object, and unpickling is
running Python. This script uses Debian's python3-torch (torch.load with weights_only, so the
file cannot run code) and writes every floating-point tensor under its state-dict name, as
float32, in PyTorch layout. genre's densenet121, vgg16, mobilenet-v2, resnet18 and
efficientnet-b0 use torchvision's parameter names, so the names need no mapping; old-style
DenseNet names (norm.1, conv.1 in the 2017 checkpoints) are renamed as torchvision's own loader does.
"""
import json
import re
import struct
import sys

import torch


def state_dict_of(obj):
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        return obj["state_dict"]
    if isinstance(obj, dict):
        return obj
    raise SystemExit("not a state dict, a module or a checkpoint with a 'state_dict'")


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: pth_to_safetensors.py IN.pth OUT.safetensors")
    src, dst = sys.argv[1], sys.argv[2]
    try:
        obj = torch.load(src, map_location="cpu", weights_only=True)
    except TypeError:  # a torch without weights_only
        obj = torch.load(src, map_location="cpu")
    sd = state_dict_of(obj)
    # torchvision densenet.py _load_state_dict: '...denselayer1.norm.1.weight' -> '...denselayer1.norm1.weight'
    old = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")
    tensors = {}
    for name, t in sd.items():
        if not torch.is_tensor(t) or not t.is_floating_point():
            continue  # num_batches_tracked and the like
        m = old.match(name)
        if m:
            name = m.group(1) + m.group(2)
        tensors[name.removeprefix("module.")] = t.detach().to(torch.float32).contiguous()
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        b = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header["__metadata__"] = {"source": src.rsplit("/", 1)[-1], "converted_by": "genre scripts/pth_to_safetensors.py"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    print(f"{dst}: {len(tensors)} tensors, {offset / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
