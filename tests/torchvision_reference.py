#!/usr/bin/python3
"""Test-time reference for genre's torchvision-named networks (tests/test_torchvision.cpp).

    /usr/bin/python3 tests/torchvision_reference.py OUTDIR

For resnet18, mobilenet-v2, densenet121, vgg16 and efficientnet-b0: torchvision's model (Debian's
python3-torchvision) with random weights from a fixed seed (batch-norm statistics and affine
parameters randomised too, so that they matter), saved as OUTDIR/NAME.pth (a torchvision-style
checkpoint: torch.save of the state dict), and its output on one random 1 x 3 x 224 x 224 input
(OUTDIR/input.f32, float32) in OUTDIR/outputs.json: the 1000 logits, or for vgg16 the global average
of `features` (genre's VGG head differs; its checkpoint is saved without the 400 MB dense layers,
which genre does not use). resnet18 also gets a grey input (OUTDIR/grey.f32, 1 x 1 x 224 x 224)
repeated into three channels: a one-channel genre model loaded from the RGB weights must give the same.
Nothing is downloaded.
"""
import json
import sys

import torch
import torchvision.models as tvm

NETS = {
    "resnet18": tvm.resnet18,
    "mobilenet-v2": tvm.mobilenet_v2,
    "densenet121": tvm.densenet121,
    "vgg16": tvm.vgg16,
    "efficientnet-b0": tvm.efficientnet_b0,
}


def main():
    out = sys.argv[1]
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(20261204)
    x = torch.randn(1, 3, 224, 224, generator=g)
    grey = torch.randn(1, 1, 224, 224, generator=g)
    x.numpy().tofile(f"{out}/input.f32")
    grey.numpy().tofile(f"{out}/grey.f32")
    outputs = {}
    for name, make in NETS.items():
        torch.manual_seed(1)
        m = make(weights=None).eval()
        with torch.no_grad():
            for mod in m.modules():
                if isinstance(mod, torch.nn.BatchNorm2d):
                    mod.running_mean.uniform_(-0.2, 0.2)
                    mod.running_var.uniform_(0.5, 1.5)
                    mod.weight.uniform_(0.5, 1.5)
                    mod.bias.uniform_(-0.2, 0.2)
            sd = m.state_dict()
            if name == "vgg16":
                y = torch.nn.functional.adaptive_avg_pool2d(m.features(x), 1).flatten(1)
                sd = {k: v for k, v in sd.items() if not k.startswith("classifier.")}
            else:
                y = m(x)
            outputs[name] = y[0].tolist()
            if name == "resnet18":
                outputs["resnet18-grey"] = m(grey.repeat(1, 3, 1, 1))[0].tolist()
        torch.save(sd, f"{out}/{name}.pth")
    with open(f"{out}/outputs.json", "w") as f:
        json.dump(outputs, f)


if __name__ == "__main__":
    main()
