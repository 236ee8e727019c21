"""Writes the PyTorch side of the DiT parity check (run on the GPU machine; compare with the Java main
dev.diffusion4j.models.DiTTorchParity, see scripts/gpu-dit.sh parity):
  python3 bench/dit_parity.py --dit path/to/dit.py --cfg S/2 --precision fp32 --batch 8 --out DIR
DIR gets weights.safetensors (the model's state dict: dit.py's init with the zero-initialised adaLN and output
layers drawn from normal(0, 0.02) so every gradient is non-trivial), inputs.safetensors (x, t, y with one null
label, target) and reference.safetensors (output, loss and the gradient of every trainable parameter after one
training step: MSE of all 2C outputs against target; fp32 with TF32 off, or bf16 autocast)."""
import argparse, importlib.util, json, struct
import numpy as np, torch, torch.nn.functional as F

def save(path, tensors):
    # safetensors by hand (8-byte header length, JSON header, raw little-endian data): the GPU machine is offline
    # and may lack the safetensors package
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        a = t.detach().cpu().contiguous().numpy()
        dt = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}[a.dtype]
        b = a.tobytes(); header[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(header).encode(); h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs: f.write(b)

ap = argparse.ArgumentParser(); ap.add_argument("--dit", required=True); ap.add_argument("--cfg", default="S/2")
ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32"); ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--out", required=True); a = ap.parse_args()
spec = importlib.util.spec_from_file_location("dit", a.dit); dit = importlib.util.module_from_spec(spec); spec.loader.exec_module(dit)
import os; os.makedirs(a.out, exist_ok=True)
torch.manual_seed(0)
torch.backends.cuda.matmul.allow_tf32 = False; torch.backends.cudnn.allow_tf32 = False
m = dit.make(a.cfg, 32, 4)
with torch.no_grad():
    for n, p in m.named_parameters():
        if "adaLN_modulation" in n or n.startswith("final_layer.linear"): p.normal_(0, 0.02)
m = m.cuda().eval()   # eval: no label dropout, so both sides see the same labels
save(f"{a.out}/weights.safetensors", m.state_dict())
B = a.batch
x = torch.randn(B, 4, 32, 32); t = torch.randint(0, 1000, (B,)); y = torch.randint(0, 1000, (B,)); y[0] = 1000
target = torch.randn(B, 8, 32, 32)
save(f"{a.out}/inputs.safetensors", dict(x=x, t=t, y=y, target=target))
x, t, y, target = x.cuda(), t.cuda(), y.cuda(), target.cuda()
with torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
    out = m(x, t, y)
loss = F.mse_loss(out.float(), target); loss.backward()
ref = dict(output=out.float(), loss=loss.detach().reshape(1))
ref.update({"grad." + n: p.grad for n, p in m.named_parameters() if p.requires_grad})
save(f"{a.out}/reference.safetensors", ref)
print(json.dumps(dict(cfg=a.cfg, precision=a.precision, batch=B, loss=loss.item(), torch=torch.__version__)))
