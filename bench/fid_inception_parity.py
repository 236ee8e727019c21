"""FID Inception parity: pytorch-fid's architecture in PyTorch vs diffusion4j's FidInceptionV3, same random weights,
same images, pool3 features compared. Run on the GPU machine (see scripts/gpu-quality.sh parity):

  python3 bench/fid_inception_parity.py write DIR      # weights, images and PyTorch's features into DIR
  java ... dev.diffusion4j.models.InceptionParity DIR cuda   # diffusion4j's features, compared, into DIR

The network is built the way pytorch-fid's fid_inception_v3() builds it: torchvision's Inception3 (1008 classes, no
aux head) with the Mixed blocks replaced by the FID variants. If the pytorch_fid package is installed its classes are
used; otherwise the FID variants are restated below (average pools that exclude padding; a max pool in Mixed_7c).
Images go in as pytorch-fid takes them, in [0, 1] with resize_input and normalize_input on; diffusion4j gets the same
pixels scaled to [-1, 1]. Random weights: torchvision's init plus random batch-norm statistics, so folding is tested.
"""
import os
import sys

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import safetensors_io  # noqa: E402

tv = torchvision.models.inception


def _avg_exclude_pad(x):
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class BlockA(tv.InceptionA):
    def forward(self, x):
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_avg_exclude_pad(x))], 1)


class BlockC(tv.InceptionC):
    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d7 = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            d7 = layer(d7)
        return torch.cat([self.branch1x1(x), b7, d7, self.branch_pool(_avg_exclude_pad(x))], 1)


class BlockE(tv.InceptionE):
    def __init__(self, in_channels, max_pool):
        super().__init__(in_channels)
        self.max_pool = max_pool

    def forward(self, x):
        s = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(s), self.branch3x3_2b(s)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d3 = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _avg_exclude_pad(x)
        return torch.cat([self.branch1x1(x), b3, d3, self.branch_pool(pooled)], 1)


def fid_classes():
    try:
        from pytorch_fid import inception as pf
        return "pytorch_fid", (lambda c, p: pf.FIDInceptionA(c, pool_features=p)), (lambda c, k: pf.FIDInceptionC(c, channels_7x7=k)), \
            pf.FIDInceptionE_1, pf.FIDInceptionE_2
    except ImportError:
        return "restated", (lambda c, p: BlockA(c, pool_features=p)), (lambda c, k: BlockC(c, channels_7x7=k)), \
            (lambda c: BlockE(c, False)), (lambda c: BlockE(c, True))


def build(seed):
    torch.manual_seed(seed)
    source, A, C, E1, E2 = fid_classes()
    net = torchvision.models.inception_v3(num_classes=1008, aux_logits=False, weights=None, init_weights=True)
    net.Mixed_5b, net.Mixed_5c, net.Mixed_5d = A(192, 32), A(256, 64), A(288, 64)
    net.Mixed_6b, net.Mixed_6c, net.Mixed_6d, net.Mixed_6e = C(768, 128), C(768, 160), C(768, 160), C(768, 192)
    net.Mixed_7b, net.Mixed_7c = E1(1280), E2(2048)
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.1)
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return source, net.eval()


def pool3(net, images01):
    """pytorch-fid's InceptionV3 forward up to block 3: resize to 299 (bilinear, align_corners=False), 2x - 1, blocks."""
    x = F.interpolate(images01, size=(299, 299), mode="bilinear", align_corners=False)
    x = 2 * x - 1
    for name in ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2",
                 "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                 "Mixed_7a", "Mixed_7b", "Mixed_7c"]:
        x = getattr(net, name)(x)
    return F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)


def write(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    source, net = build(0)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    net = net.to(dev)
    state = {k: v for k, v in net.state_dict().items()}
    safetensors_io.save(state, os.path.join(out_dir, "weights.safetensors"))
    g = torch.Generator().manual_seed(1)
    tensors = {}
    for size in (64, 300):   # upsampled and (slightly) downsampled on the way to 299
        imgs = torch.rand(6, 3, size, size, generator=g)
        with torch.no_grad():
            feats = pool3(net, imgs.to(dev)).double().cpu()
        tensors[f"images_{size}"] = imgs * 2 - 1
        tensors[f"features_{size}"] = feats
    safetensors_io.save(tensors, os.path.join(out_dir, "reference.safetensors"), {"fid_blocks": source, "torch": torch.__version__})
    n_params = sum(p.numel() for name, p in net.named_parameters() if not name.startswith("fc."))
    print(f"wrote {out_dir}: FID blocks {source}, {n_params} parameters up to pool3, torch {torch.__version__} on {dev}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "write":
        sys.exit("usage: fid_inception_parity.py write DIR")
    write(sys.argv[2])
