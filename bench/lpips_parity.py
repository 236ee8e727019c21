"""LPIPS parity: the perceptual distance of richzhang/PerceptualSimilarity ("lpips" v0.1, net='vgg', the one LDM and
taming train autoencoders with) built in PyTorch, against diffusion4j's dev.diffusion4j.models.lpips.Lpips on the same
random weights and images: the distances and the gradient of their sum with respect to the second image.

  python3 bench/lpips_parity.py DIR [--device cpu|cuda] [--widths 64,128,256,512,512] [--size 64] [--batch 2] [--seed 0]
  java ... dev.diffusion4j.models.lpips.LpipsTorchParity DIR cpu|cuda [--widths ...]

DIR/vgg16.pth      VGG16's features as torchvision names them (features.{0,2,5,...,28}.weight/.bias), saved with
                   torch.save (zip format); with torchvision importable and VGG16's own widths, the whole
                   torchvision.models.vgg16() state dict (classifier.* included, as in vgg16-397923af.pth).
DIR/lpips.pth      lin0..lin4.model.1.weight ([1, C, 1, 1], non-negative), saved in torch's legacy (pre-1.6) format
                   like the 2018 lpips release files, so both checkpoint readers are exercised.
DIR/reference.safetensors  x, y (images in [-1, 1]), lpips = LPIPS(x, y) [N] and grad_y = d sum(lpips) / dy in f32
                   (TF32 off) on --device; lpips_f64 and grad_y_f64 in float64 on the CPU (the exact-math check);
                   on CUDA also lpips_bf16 and grad_y_bf16 under bf16 autocast.

Runs on the CPU with torch 1.13 alone (no torchvision: the features are built from nn.Conv2d with torchvision's module
indices) and on the GPU machine with torch 2.x. The tiny fixture of the unit tests (src/test/resources/lpips) is
   python3 bench/lpips_parity.py src/test/resources/lpips --widths 4,4,4,4,4 --size 16 --batch 2 --seed 3
"""
import argparse
import copy
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from safetensors_io import save  # noqa: E402

VGG16_WIDTHS = [64, 128, 256, 512, 512]
CONVS_PER_STAGE = [2, 2, 3, 3, 3]
# lpips' vgg16 slices of torchvision's features: relu1_2, relu2_2, relu3_3, relu4_3, relu5_3
SLICES = [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)]


def vgg_features(widths):
    """torchvision's vgg16().features layout (conv 3x3 pad 1, ReLU, max pool 2x2 after each stage) with these widths."""
    if widths == VGG16_WIDTHS:
        try:
            import torchvision
            return torchvision.models.vgg16(), True
        except ImportError:
            pass
    layers, c = [], 3
    for w, n in zip(widths, CONVS_PER_STAGE):
        for _ in range(n):
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(inplace=False)]
            c = w
        layers.append(nn.MaxPool2d(2, 2))
    features = nn.Sequential(*layers)
    for m in features:
        if isinstance(m, nn.Conv2d):   # torchvision's init
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    holder = nn.Module()
    holder.features = features
    return holder, False


class NetLin(nn.Module):
    """lpips' NetLinLayer: dropout (inactive in eval mode) and a 1x1 conv to one channel without bias, as `model`."""

    def __init__(self, channels):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))

    def forward(self, x):
        return self.model(x)


class LinLayers(nn.Module):
    """lin0 ... lin4, so that state_dict() names them as lpips' vgg.pth does (lin0.model.1.weight ...)."""

    def __init__(self, widths):
        super().__init__()
        for k, c in enumerate(widths):
            setattr(self, "lin%d" % k, NetLin(c))

    def layers(self):
        return [getattr(self, "lin%d" % k) for k in range(5)]


class Lpips(nn.Module):
    """lpips.LPIPS(net='vgg', version='0.1') restated: ScalingLayer, the five VGG slices, normalize_tensor, the lin
    layers (Dropout + 1x1 conv without bias; eval mode, so no dropout), spatial average, sum over the taps."""

    def __init__(self, features, widths):
        super().__init__()
        self.slices = nn.ModuleList([nn.Sequential(*[features[i] for i in range(a, b)]) for a, b in SLICES])
        self.register_buffer("shift", torch.tensor([-.030, -.088, -.188])[None, :, None, None])
        self.register_buffer("scale", torch.tensor([.458, .448, .450])[None, :, None, None])
        self.lin = LinLayers(widths)

    def taps(self, x):
        h, out = (x - self.shift) / self.scale, []
        for s in self.slices:
            h = s(h)
            out.append(h)
        return out

    @staticmethod
    def normalize(t, eps=1e-10):
        return t / (torch.sqrt(torch.sum(t ** 2, dim=1, keepdim=True)) + eps)

    def forward(self, x, y):
        total = 0
        for lin, a, b in zip(self.lin.layers(), self.taps(x), self.taps(y)):
            total = total + lin((self.normalize(a) - self.normalize(b)) ** 2).mean([2, 3], keepdim=True)
        return total.reshape(-1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--widths", default=",".join(map(str, VGG16_WIDTHS)))
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    widths = [int(w) for w in a.widths.split(",")]
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed + 1)
    net, from_torchvision = vgg_features(widths)
    with torch.no_grad():   # biases away from torchvision's zeros, so loading them is tested
        for m in net.features:
            if isinstance(m, nn.Conv2d):
                m.bias.copy_(0.05 + 0.05 * torch.randn(m.bias.shape, generator=g))
    model = Lpips(net.features, widths)
    with torch.no_grad():   # lpips' lin weights are non-negative
        for lin in model.lin.layers():
            lin.model[1].weight.copy_(0.2 * torch.rand(lin.model[1].weight.shape, generator=g))
    model = model.to(a.device).eval()
    for p in model.parameters():
        p.requires_grad_(False)

    os.makedirs(a.out, exist_ok=True)
    # state_dict()s (OrderedDicts with their _metadata), as the released files hold them
    torch.save(copy.deepcopy(net).cpu().state_dict(), os.path.join(a.out, "vgg16.pth"))
    lin_state = copy.deepcopy(model.lin).cpu().state_dict()
    torch.save(lin_state, os.path.join(a.out, "lpips.pth"), _use_new_zipfile_serialization=False)

    x = torch.rand(a.batch, 3, a.size, a.size, generator=g) * 2 - 1
    y = (x + 0.4 * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    ref = dict(x=x, y=y)
    x, y = x.to(a.device), y.to(a.device)
    modes = [("", False)] + ([("_bf16", True)] if a.device.startswith("cuda") else [])
    cpu64 = copy.deepcopy(model).cpu().double()
    yy = ref["y"].double().requires_grad_(True)
    d = cpu64(ref["x"].double(), yy)
    d.sum().backward()
    ref["lpips_f64"], ref["grad_y_f64"] = d.detach(), yy.grad.detach()
    for suffix, autocast in modes:
        yy = y.clone().requires_grad_(True)
        if autocast:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                d = model(x, yy)
        else:
            d = model(x, yy)
        d.float().sum().backward()
        ref["lpips" + suffix] = d.detach().float().cpu()
        ref["grad_y" + suffix] = yy.grad.detach().float().cpu()
    save({k: v.contiguous() for k, v in ref.items()}, os.path.join(a.out, "reference.safetensors"))
    print(json.dumps(dict(widths=widths, size=a.size, batch=a.batch, device=a.device, torchvision=from_torchvision,
                          lpips=[round(v, 6) for v in ref["lpips"].tolist()], torch=torch.__version__)))


if __name__ == "__main__":
    main()
