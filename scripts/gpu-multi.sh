#!/bin/bash
# Data-parallel training over NCCL on a lent several-GPU machine (issue 18; nvidia-h100-x2 / x4), from the repository
# root with the bundle in .device/gpu (scripts/gpu-bundle.sh: JRE, shaded jar, test classes, Fashion-MNIST,
# ../shared/bench/ddpm_unet.py and dit.py). PyTorch's DDP side is bench/ddp_bench.py (in the checkout). Results in $OUT.
#   scripts/gpu-multi.sh tests     NcclGpuTest and DataParallelGpuTest (JUnit): NCCL sum/broadcast/abort on 1 and 2 GPUs,
#                                  and 2 GPUs vs 1 GPU weights after 4 steps on the same global batch
#   scripts/gpu-multi.sh identity  fmnist-small on Fashion-MNIST, global batch 128, 200 steps (STEPS), tf32 (PRECISION):
#                                  1 GPU vs N GPUs (NS, default "2" plus "4" when 4 are visible); prints the largest
#                                  loss difference along the curve and the largest relative weight difference at the end
#   scripts/gpu-multi.sh scaling   img/s of diffuse train --gpus N (N in 1 2 4 8 up to what is visible) for ddpm-cifar10 at
#                                  batch 128 per GPU and dit-b/2 at batch 256 per GPU, beside torchrun + DDP
#                                  (bench/ddp_bench.py) on the same models; efficiency = per-GPU img/s at N / img/s at 1
XMX=96g JAVA_OPTS=-XX:+ExplicitGCInvokesConcurrent source "$(dirname "$0")/gpu-env.sh"
D="$J -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main"
GPUS=$(nvidia-smi -L | grep -c '^GPU')
# img/s of a finished run: the mean of its metrics rows after the first (the first window holds the warm-up)
img_per_s() {
  python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1] + "/metrics.jsonl") if '"img_per_s"' in l]
rows = rows[1:] or rows
print(round(sum(r["img_per_s"] for r in rows) / len(rows), 1))
PY
}

case "${1:-tests}" in
  tests)
    timeout 600 $J -jar $B/junit.jar execute --disable-banner --details=tree -cp $B/diffusion4j.jar:$B/tc \
      --select-class dev.diffusion4j.engine.cuda.NcclGpuTest --select-class dev.diffusion4j.train.parallel.DataParallelGpuTest \
      > "$OUT/multi-tests.log" 2>&1
    echo "tests rc=$?"; grep -E "✘|skipped" "$OUT/multi-tests.log" | head; grep -E "tests (successful|failed)" "$OUT/multi-tests.log"
    ;;
  identity)
    STEPS=${STEPS:-200}; PR=${PRECISION:-tf32}
    NS=${NS:-$( [ "$GPUS" -ge 4 ] && echo "2 4" || echo "2")}
    common="--data $B/fmnist --preset fmnist-small --dropout 0 --batch-size 128 --steps $STEPS --log-every 1 --sample-every 100000
            --checkpoint-every 100000 --grid-size 1 --sample-steps 1 --precision $PR"
    rm -rf /tmp/d4j/id-1; $D train --out /tmp/d4j/id-1 $common --device cuda:0 2>&1 | grep -v WARNING | tail -2
    for n in $NS; do
      rm -rf /tmp/d4j/id-$n; $D train --out /tmp/d4j/id-$n $common --gpus $n 2>&1 | grep -v WARNING | tail -2
      python3 - /tmp/d4j/id-1 /tmp/d4j/id-$n $STEPS <<'PY'
import json, struct, sys
def losses(d): return [json.loads(l)["loss"] for l in open(d + "/metrics.jsonl") if '"loss"' in l]
def tensors(path):
    b = open(path, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); base = 8 + n; out = {}
    for k, v in h.items():
        if k == "__metadata__" or v["dtype"] != "F32": continue
        s, e = v["data_offsets"]; out[k] = struct.unpack("<%df" % ((e - s) // 4), b[base + s:base + e])
    return out
a, b, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
la, lb = losses(a), losses(b)
ck = "/checkpoints/step-%07d/model.safetensors" % steps
wa, wb = tensors(a + ck), tensors(b + ck)
dw = max(abs(x - y) / (1 + abs(x)) for k in wa for x, y in zip(wa[k], wb[k]))
print(json.dumps(dict(check="identity", run=b, steps=len(lb), max_loss_diff=max(abs(x - y) for x, y in zip(la, lb)),
                      final_loss=[la[-1], lb[-1]], max_rel_weight_diff=dw)))
PY
    done | tee "$OUT/multi-identity.txt"
    ;;
  scaling)
    PR=${PRECISION:-tf32}
    for spec in "ddpm-cifar10 128 ddpm-cifar10" "dit-b/2 256 dit-b/2"; do
      set -- $spec; preset=$1; per=$2; torch_model=$3
      for n in 1 2 4 8; do
        [ $n -gt "$GPUS" ] && continue
        dir=/tmp/d4j/scale-${preset//\//}-$n; rm -rf $dir
        ranks=$([ $n = 1 ] && echo "--device cuda:0" || echo "--gpus $n")
        $D train --out $dir --data shapes:4096 --channels 3 --image-size 32 --preset $preset --batch-size $((per * n)) --steps ${STEPS:-60} \
          --log-every 20 --sample-every 100000 --checkpoint-every 100000 --grid-size 1 --sample-steps 1 --precision $PR \
          $( [ $preset = ddpm-cifar10 ] && echo "--dropout 0" ) $ranks > $dir.log 2>&1 || { tail -3 $dir.log; continue; }
        echo "{\"side\": \"diffusion4j\", \"model\": \"$preset\", \"dtype\": \"$PR\", \"gpus\": $n, \"batch_per_gpu\": $per, \"img_per_s\": $(img_per_s $dir)}"
        torchrun --standalone --nproc_per_node $n bench/ddp_bench.py --model $torch_model --batch-per-gpu $per --dtype $PR \
          --steps 30 --bench-dir $B/bench 2>/dev/null | grep '^{'
      done
    done | tee "$OUT/multi-scaling.txt"
    python3 - "$OUT/multi-scaling.txt" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
one = {(r["side"], r["model"]): r["img_per_s"] for r in rows if r["gpus"] == 1}
print("| side | model | GPUs | batch/GPU | img/s | img/s per GPU | efficiency |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    base = one.get((r["side"], r["model"]))
    per = r["img_per_s"] / r["gpus"]
    print("| %s | %s | %d | %d | %.1f | %.1f | %s |" % (r["side"], r["model"], r["gpus"], r["batch_per_gpu"], r["img_per_s"], per,
          "%.2f" % (per / base) if base else "-"))
PY
    ;;
  *) echo "usage: $0 tests|identity|scaling"; exit 2 ;;
esac
