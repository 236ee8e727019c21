"""Writes the PyTorch side of the DiT parity check (run on the GPU machine; compare with the Java main
dev.diffusion4j.models.DiTTorchParity, see scripts/gpu-dit.sh parity):
  python3 bench/dit_parity.py --dit path/to/dit.py --cfg S/2 --precision fp32 --batch 8 --out DIR
DIR gets weights.safetensors (the model's state dict: dit.py's init with the zero-initialised adaLN and output
layers drawn from normal(0, 0.02) so every gradient is non-trivial), inputs.safetensors (x, t, y with one null
label, target) and reference.safetensors (output, loss and the gradient of every trainable parameter after one
training step: MSE of all 2C outputs against target; fp32 with TF32 off, or bf16 autocast)."""
import argparse, importlib.util, json, os, sys
import torch, torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import safetensors_io  # noqa: E402  (scripts/, beside bench/ in the repository and in the GPU bundle)

ap = argparse.ArgumentParser(); ap.add_argument("--dit", required=True); ap.add_argument("--cfg", default="S/2")
ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32"); ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--out", required=True); a = ap.parse_args()
spec = importlib.util.spec_from_file_location("dit", a.dit); dit = importlib.util.module_from_spec(spec); spec.loader.exec_module(dit)
os.makedirs(a.out, exist_ok=True)
torch.manual_seed(0)
torch.backends.cuda.matmul.allow_tf32 = False; torch.backends.cudnn.allow_tf32 = False
m = dit.make(a.cfg, 32, 4)
with torch.no_grad():
    for n, p in m.named_parameters():
        if "adaLN_modulation" in n or n.startswith("final_layer.linear"): p.normal_(0, 0.02)
m = m.cuda().eval()   # eval: no label dropout, so both sides see the same labels
safetensors_io.save(m.state_dict(), f"{a.out}/weights.safetensors")
B = a.batch
x = torch.randn(B, 4, 32, 32); t = torch.randint(0, 1000, (B,)); y = torch.randint(0, 1000, (B,)); y[0] = 1000
target = torch.randn(B, 8, 32, 32)
safetensors_io.save(dict(x=x, t=t, y=y, target=target), f"{a.out}/inputs.safetensors")
x, t, y, target = x.cuda(), t.cuda(), y.cuda(), target.cuda()
with torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
    out = m(x, t, y)
loss = F.mse_loss(out.float(), target); loss.backward()
ref = dict(output=out.float(), loss=loss.detach().reshape(1))
ref.update({"grad." + n: p.grad for n, p in m.named_parameters() if p.requires_grad})
safetensors_io.save(ref, f"{a.out}/reference.safetensors")
print(json.dumps(dict(cfg=a.cfg, precision=a.precision, batch=B, loss=loss.item(), torch=torch.__version__)))
