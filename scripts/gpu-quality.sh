#!/bin/bash
# Sample-quality figures on the lent GPU machine, from the repository root, with the bundle in .device/gpu (built by
# scripts/gpu-bundle.sh: JRE, shaded jar, test classes, Fashion-MNIST IDX, ddpm_unet.py and this change's python files).
#   scripts/gpu-quality.sh parity   FID Inception: pytorch-fid's architecture (random weights) vs FidInceptionV3, CUDA and CPU
#   scripts/gpu-quality.sh table    the BENCHMARKS Fashion-MNIST table: the feature classifier (diffuse train-features) once,
#                                   then per seed the DDPM recipe (linear betas, eps, plain MSE) and an improved recipe
#                                   (cosine, v-prediction, min-SNR 5) in Java, and the DDPM recipe in PyTorch
#                                   (bench/ddpm_fmnist_train.py on ddpm_unet.py's fmnist U-Net); every sample set scored by
#                                   `diffuse fid` (FD, KD, precision/recall with the classifier's features against the test
#                                   split), Java runs also by `diffuse eval --metrics nll`. Table in $OUT/quality.md.
# Knobs (defaults sized for about 8-9 minutes of GPU time on an H100/H200; the script prints each part's wall time):
#   STEPS=1500 (training steps, batch 128) N=2000 (samples and reference images) NLL_COUNT=128 PRECISION=bf16
#   SEEDS="0 1" (Java recipes) TORCH_SEEDS="0" FEAT_STEPS=1500 SAMPLE_STEPS=50 (DDIM)
set -uo pipefail
B=.device/gpu
OUT=${OUT:-/tmp/out}
W=/tmp/quality
mkdir -p "$OUT" "$W" /tmp/d4j
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g -XX:+ExplicitGCInvokesConcurrent"
D="$J -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main"
export DIFFUSION4J_CACHE=/tmp/d4j/cache PYTHONUNBUFFERED=1
nvidia-smi -L
STEPS=${STEPS:-1500}; N=${N:-2000}; NLL_COUNT=${NLL_COUNT:-128}; PRECISION=${PRECISION:-bf16}
SEEDS=${SEEDS:-"0 1"}; TORCH_SEEDS=${TORCH_SEEDS:-"0"}; FEAT_STEPS=${FEAT_STEPS:-1500}; SAMPLE_STEPS=${SAMPLE_STEPS:-50}

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# Scores a folder of sample PNGs with the classifier features; appends the metric lines to $OUT/NAME.txt.
score() {
  $D fid $B/fmnist "$2" --features $W/features --count $N --split test --metrics fd,kid,pr --batch-size 500 --device cuda \
    2>&1 | grep -v WARNING | grep -E "^(FD|KD|precision|warning)" | tee -a "$OUT/$1.txt"
}

case "${1:-table}" in
  parity)
    python3 $B/bench/fid_inception_parity.py write $W/parity 2>&1 | tee "$OUT/parity.txt"
    for dev in cuda cpu; do
      $J -cp $B/diffusion4j.jar:$B/tc dev.diffusion4j.models.InceptionParity $W/parity $dev 2>&1 | grep -v WARNING | tee -a "$OUT/parity.txt"
    done
    ;;
  table)
    T0=$(date +%s%N)
    s=$(date +%s%N)
    $D train-features --data $B/fmnist --out $W/features --steps $FEAT_STEPS --batch-size 256 --device cuda 2>&1 \
      | grep -v WARNING | grep -E "held-out|features:" | tee "$OUT/features.txt"
    echo "train_wall_ms $(ms $s)" >> "$OUT/features.txt"
    for seed in $SEEDS; do
      for recipe in ddpm improved; do
        name=java-$recipe-s$seed
        if [ $recipe = ddpm ]; then R="--schedule linear --parameterization eps --weighting none"
        else R="--schedule cosine --parameterization v --weighting min-snr --snr-gamma 5"; fi
        s=$(date +%s%N)
        $D train --data $B/fmnist --preset fmnist-small --out $W/$name $R --loss simple --precision $PRECISION --steps $STEPS \
          --batch-size 128 --lr 2e-4 --warmup 100 --lr-schedule constant --ema-decay 0.999 --no-class-conditional \
          --log-every 100 --sample-every $STEPS --checkpoint-every $STEPS --grid-size 64 --sample-steps $SAMPLE_STEPS \
          --seed $seed --device cuda 2>&1 | grep -v WARNING | grep -E "^done" | tee "$OUT/$name.txt"
        echo "train_wall_ms $(ms $s)" >> "$OUT/$name.txt"
        s=$(date +%s%N)
        $D sample --run $W/$name --count $N --batch-size 500 --sampler ddim --steps $SAMPLE_STEPS --seed 1 \
          --images $W/$name-img --grid $W/$name-grid.png --device cuda 2>&1 | grep -v WARNING | tail -1 > /dev/null
        echo "sample_wall_ms $(ms $s)" >> "$OUT/$name.txt"
        cp $W/$name/samples/step-*.png "$OUT/$name-grid.png"
        score $name $W/$name-img
        $D eval --run $W/$name --metrics nll --split test --count $NLL_COUNT --batch-size $NLL_COUNT --device cuda 2>&1 \
          | grep -v WARNING | grep "NLL bound" | tee -a "$OUT/$name.txt"
        echo "elapsed_s $(( $(ms $T0) / 1000 ))"
      done
    done
    for seed in $TORCH_SEEDS; do
      name=torch-ddpm-s$seed
      s=$(date +%s%N)
      python3 $B/bench/ddpm_fmnist_train.py --data $B/fmnist --images $W/$name-img --steps $STEPS --seed $seed \
        --precision $PRECISION --samples $N --sample-steps $SAMPLE_STEPS 2>&1 | grep '^{' | tee "$OUT/$name.txt"
      echo "process_wall_ms $(ms $s)" >> "$OUT/$name.txt"
      score $name $W/$name-img
      echo "elapsed_s $(( $(ms $T0) / 1000 ))"
    done
    python3 - "$OUT" "$STEPS" "$N" "$PRECISION" "$SAMPLE_STEPS" <<'PY' | tee "$OUT/quality.md"
import json, os, re, sys
out, steps, n, precision, sample_steps = sys.argv[1:6]
runs = sorted(f for f in os.listdir(out) if re.match(r"(java-ddpm|java-improved|torch-ddpm)-s\d+\.txt$", f))
text = {f: open(os.path.join(out, f)).read() for f in runs}

def find(pattern, t, default="n/a"):
    m = re.search(pattern, t, re.M)
    return m.group(1) if m else default

network = next((find(r"\((classifier:[^;]+);", t, None) for t in text.values() if "classifier:" in t), "?")
held = find(r"^(held-out accuracy .*)$", open(os.path.join(out, "features.txt")).read())
print(f"Fashion-MNIST, fmnist-small U-Net, {steps} steps at batch 128 ({precision}); DDIM {sample_steps} steps; {n} samples vs "
      f"{n} test images; features {network} ({held})")
print()
print("| run | seed | FD | KD x 1e3 | precision | recall | NLL bits/dim | train wall s |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for f in runs:
    t = text[f]
    kind, seed = re.match(r"(.*)-s(\d+)\.txt$", f).groups()
    kd = find(r"^KD ([-0-9.e]+)", t)
    kd = "%.2f" % (float(kd) * 1e3) if kd != "n/a" else kd
    if kind.startswith("torch"):
        loop = json.loads(next(l for l in t.splitlines() if l.startswith("{")))["train_s"]
        wall = "%.0f (training loop)" % loop
    else:
        wall = "%.0f" % (int(find(r"train_wall_ms (\d+)", t, "0")) / 1000)
    print(f"| {kind} | {seed} | {find(r'^FD ([0-9.]+)', t)} | {kd} | {find(r'precision ([0-9.]+)', t)} | {find(r'recall ([0-9.]+)', t)} "
          f"| {find(r'NLL bound: ([0-9.]+)', t)} | {wall} |")
PY
    echo "total_s $(( $(ms $T0) / 1000 ))"
    ;;
esac
