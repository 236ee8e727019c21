"""PyTorch DDP beside `diffuse train --gpus N`: training throughput of the reference DDPM CIFAR-10 U-Net
(../shared/bench/ddpm_unet.py) or a DiT (../shared/bench/dit.py) wrapped in DistributedDataParallel, one process per
GPU, launched by torchrun. Prints one JSON line (rank 0) with img/s in total and per GPU.

  torchrun --standalone --nproc_per_node 2 bench/ddp_bench.py --model ddpm-cifar10 --batch-per-gpu 128 --dtype tf32
  torchrun --standalone --nproc_per_node 2 bench/ddp_bench.py --model dit-b/2 --batch-per-gpu 256 --dtype bf16
  (CPU smoke test: --device cpu --model ddpm-tiny, gloo backend)
"""
import argparse, importlib.util, json, os, sys, time
import torch, torch.nn.functional as F
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build(model, bench_dir):
    """The model, its input shape (C, H, W) and whether it takes class labels."""
    if model.startswith("ddpm"):
        m = load(os.path.join(bench_dir, "ddpm_unet.py"), "ddpm_unet")
        sdpa = hasattr(F, "scaled_dot_product_attention")
        if model == "ddpm-cifar10":
            c = dict(m.CONFIGS["cifar"])
        elif model == "ddpm-tiny":   # a CPU-sized U-Net for the smoke test
            c = dict(in_ch=3, ch=32, mult=(1, 2), nres=1, attn_res=(8,), res=16, dropout=0.0)
        else:
            raise SystemExit("unknown model " + model)
        return m.UNet(**c, sdpa=sdpa), (c["in_ch"], c["res"], c["res"]), False
    if model.startswith("dit-"):
        m = load(os.path.join(bench_dir, "dit.py"), "dit")
        return m.make(model[4:].upper(), 32, 4), (4, 32, 32), True
    raise SystemExit("unknown model " + model)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="ddpm-cifar10", help="ddpm-cifar10, dit-b/2 (any dit-X/P), ddpm-tiny")
    ap.add_argument("--batch-per-gpu", type=int, default=128)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--dtype", default="tf32", choices=["fp32", "tf32", "bf16"])
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--bench-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"),
                    help="folder with ddpm_unet.py and dit.py (default ../shared/bench beside the checkout)")
    a = ap.parse_args()

    cuda = a.device == "cuda"
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local = int(os.environ.get("LOCAL_RANK", rank))
    dev = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(dev)
        torch.backends.cuda.matmul.allow_tf32 = a.dtype != "fp32"
        torch.backends.cudnn.allow_tf32 = a.dtype != "fp32"
    torch.manual_seed(0)
    net, (c, h, w), labelled = build(a.model, a.bench_dir)
    net = DDP(net.to(dev), device_ids=[local] if cuda else None)   # broadcasts rank 0's weights; 25 MB buckets
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=0)
    b = a.batch_per_gpu
    x0 = torch.randn(b, c, h, w, device=dev)
    y = torch.randint(0, 1000, (b,), device=dev)
    abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, device=dev), 0)
    amp = a.dtype == "bf16"

    def step():
        t = torch.randint(0, 1000, (b,), device=dev)
        e = torch.randn_like(x0)
        s = abar[t][:, None, None, None]
        xt = s.sqrt() * x0 + (1 - s).sqrt() * e
        with torch.autocast(a.device, dtype=torch.bfloat16, enabled=amp):
            out = net(xt, t, y) if labelled else net(xt, t)
            loss = F.mse_loss(out[:, :c].float(), e)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        return loss

    def sync():
        if cuda:
            torch.cuda.synchronize()
        dist.barrier()

    for _ in range(a.warmup):
        step()
    sync()
    t0 = time.time()
    for _ in range(a.steps):
        loss = step()
    sync()
    dt = time.time() - t0
    if rank == 0:
        total = world * b * a.steps / dt
        print(json.dumps(dict(side="torch-ddp", torch=torch.__version__, model=a.model, dtype=a.dtype, gpus=world,
                              batch_per_gpu=b, img_per_s=round(total, 1), img_per_s_per_gpu=round(total / world, 1),
                              loss=round(float(loss), 4))), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
