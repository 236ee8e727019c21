#!/usr/bin/python3
"""PyTorch CPU twin of diffusion4j's `tiny` preset: training-step and sampling-forward img/s, timed as
../shared/bench/cpu_step.py times fmnist (Adam 2e-4, MSE on eps, linear schedule T=1000, 2 threads,
2 warm-up steps then 5 timed; 5 no-grad forwards at t=500).

    /usr/bin/python3 bench/cpu_step_tiny.py [batch [warmup [steps]]]   (defaults 32, 2, 5; batch 32 is `diffuse train`'s)

The JVM needs more warm-up than PyTorch (its JIT compiles the hot loops during the first steps), so steady-state
comparisons give both sides the same longer warm-up, e.g. `cpu_step_tiny.py 32 20 30` beside
`diffuse bench train --preset tiny --batch 32 --warmup 20 --steps 30 --sample-iters 30 --device cpu`.

../shared/bench/ddpm_unet.py's UNet cannot express `tiny` (it fixes GroupNorm at 32 groups and adds the
time embedding without scale-shift), so the network is restated here from `diffuse inspect model --preset
tiny`: 16x16x3, base 32, mult (1, 2, 2), one ResBlock per level, attention (1 head) at 8x8 and in the
middle, GroupNorm(8), scale-shift time conditioning, conv down/upsampling, dropout 0. The printed
parameter count must equal `diffuse inspect model --preset tiny` (1,192,387).
"""
import json, math, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

GROUPS = 8


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / (half - 1))
    a = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv, then GroupNorm * (1 + scale) + shift from the time embedding, SiLU, conv; 1x1 skip."""
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.cout = cout
        self.n1 = nn.GroupNorm(GROUPS, cin); self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(tdim, 2 * cout)
        self.n2 = nn.GroupNorm(GROUPS, cout); self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.t(F.silu(temb))[:, :, None, None].chunk(2, dim=1)
        h = self.c2(F.silu(self.n2(h) * (1 + scale) + shift))
        return self.skip(x) + h


class Attn(nn.Module):
    """One head over H*W positions; qkv laid out [q | k | v] along channels."""
    def __init__(self, c):
        super().__init__()
        self.norm = nn.GroupNorm(GROUPS, c); self.qkv = nn.Conv2d(c, 3 * c, 1); self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x):
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(B, 3, C, H * W).unbind(1)
        w = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(C), dim=-1)   # B, HW, HW
        h = (w @ v.transpose(1, 2)).transpose(1, 2).reshape(B, C, H, W)
        return x + self.proj_out(h)


class TinyUNet(nn.Module):
    def __init__(self, in_ch=3, ch=32, mult=(1, 2, 2), nres=1, attn_res=(8,), res=16):
        super().__init__()
        self.ch = ch; tdim = 4 * ch
        self.temb = nn.Sequential(nn.Linear(ch, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.cin = nn.Conv2d(in_ch, ch, 3, padding=1)
        self.down = nn.ModuleList(); chans = [ch]; c = ch; r = res
        for i, m in enumerate(mult):
            for _ in range(nres):
                blk = nn.ModuleList([ResBlock(c, ch * m, tdim)]); c = ch * m
                if r in attn_res: blk.append(Attn(c))
                self.down.append(blk); chans.append(c)
            if i != len(mult) - 1:
                self.down.append(nn.ModuleList([nn.Conv2d(c, c, 3, stride=2, padding=1)])); chans.append(c); r //= 2
        self.mid = nn.ModuleList([ResBlock(c, c, tdim), Attn(c), ResBlock(c, c, tdim)])
        self.up = nn.ModuleList()
        for i, m in reversed(list(enumerate(mult))):
            for _ in range(nres + 1):
                blk = nn.ModuleList([ResBlock(c + chans.pop(), ch * m, tdim)]); c = ch * m
                if r in attn_res: blk.append(Attn(c))
                self.up.append(blk)
            if i != 0:
                self.up.append(nn.ModuleList([nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, c, 3, padding=1)])); r *= 2
        self.nout = nn.GroupNorm(GROUPS, c); self.cout = nn.Conv2d(c, in_ch, 3, padding=1)

    def forward(self, x, t):
        temb = self.temb(timestep_embedding(t, self.ch))
        h = self.cin(x); hs = [h]
        for blk in self.down:
            if isinstance(blk[0], ResBlock):
                h = blk[0](h, temb)
                if len(blk) > 1: h = blk[1](h)
            else:
                h = blk[0](h)
            hs.append(h)
        h = self.mid[2](self.mid[1](self.mid[0](h, temb)), temb)
        for blk in self.up:
            if isinstance(blk[0], ResBlock):
                h = blk[0](torch.cat([h, hs.pop()], 1), temb)
                if len(blk) > 1: h = blk[1](h)
            else:
                h = blk[1](blk[0](h))
        return self.cout(F.silu(self.nout(h)))


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    warmup = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    torch.set_num_threads(2); torch.manual_seed(0)
    m = TinyUNet(); params = sum(p.numel() for p in m.parameters())
    opt = torch.optim.Adam(m.parameters(), 2e-4)
    in_ch, res = 3, 16
    x0 = torch.randn(batch, in_ch, res, res); abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000), 0)

    def step():
        t = torch.randint(0, 1000, (batch,)); e = torch.randn_like(x0); a = abar[t][:, None, None, None]
        loss = F.mse_loss(m(a.sqrt() * x0 + (1 - a).sqrt() * e, t), e); opt.zero_grad(); loss.backward(); opt.step()

    for _ in range(warmup): step()
    t0 = time.time()
    for _ in range(n): step()
    tr = (time.time() - t0) / n
    m.eval()
    with torch.no_grad():
        xs = torch.randn(batch, in_ch, res, res); ts = torch.full((batch,), 500)
        m(xs, ts); t0 = time.time()
        for _ in range(n): m(xs, ts)
        fw = (time.time() - t0) / n
    print(json.dumps(dict(torch=torch.__version__, threads=torch.get_num_threads(), cfg="tiny", params=params, batch=batch,
                          warmup=warmup, steps=n,
                          train_step_s=round(tr, 4), train_img_per_s=round(batch / tr, 1), forward_img_per_s=round(batch / fw, 1))))


if __name__ == "__main__":
    main()
