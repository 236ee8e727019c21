"""Pins the forward output of a tiny DiT in float64 for DiTTest (torch 1.13 is enough; no GPU).
Every weight except pos_embed is 0.2*sin(0.37*i + k) over its flat index i, k = its position in the state dict;
inputs x = sin(0.37*i), t = [3, 250], y = [1, 3] (3 = the "no class" row). The timestep features are computed in
float64 from the reference's float32 frequencies (what the Java model does in an f64 forward).
  python3 bench/dit_reference_values.py /path/to/dit.py"""
import sys, importlib.util, json, math, torch
spec = importlib.util.spec_from_file_location("dit", sys.argv[1] if len(sys.argv) > 1 else "../shared/bench/dit.py")
dit = importlib.util.module_from_spec(spec); spec.loader.exec_module(dit)
def t_embed_f64(self, t):   # the reference's features in float64: its f32 frequencies, t * f and cos/sin in f64
    half = self.freq // 2
    f = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half).double()
    a = t.double()[:, None] * f[None]
    return self.mlp(torch.cat([torch.cos(a), torch.sin(a)], -1))
dit.TimestepEmbedder.forward = t_embed_f64
m = dit.DiT(input_size=4, patch_size=2, in_channels=2, hidden_size=8, depth=1, num_heads=2, num_classes=3, learn_sigma=True).double().eval()
with torch.no_grad():
    for k, (name, p) in enumerate([(n, p) for n, p in m.state_dict().items() if n != "pos_embed"]):
        p.copy_(0.2 * torch.sin(0.37 * torch.arange(p.numel(), dtype=torch.float64) + k).reshape(p.shape))
    x = torch.sin(0.37 * torch.arange(2 * 2 * 4 * 4, dtype=torch.float64)).reshape(2, 2, 4, 4)
    out = m(x, torch.tensor([3, 250]), torch.tensor([1, 3]))
print(json.dumps(list(m.state_dict().keys())))
print(list(out.shape), ", ".join("%.9g" % v for v in out.flatten().tolist()))
print("pos_embed", ", ".join("%.9g" % v for v in m.pos_embed.flatten().tolist()))
