#!/bin/bash
# DiT on the lent GPU machine (issue 14), from the repository root with the bundle in .device/gpu (scripts/gpu-bundle.sh:
# JRE, shaded jar, test classes, Fashion-MNIST, ../shared/bench/dit.py and bench/dit_parity.py). Results go to $OUT.
#   scripts/gpu-dit.sh parity  PyTorch dit.py vs Java, same weights (safetensors written by PyTorch, loaded by name):
#                              forward output, loss and every gradient of one training step, S/2 and XL/2, fp32 and bf16
#                              (CFGS, PRECISIONS override); then the small CPU-vs-CUDA DiT step parity
#   scripts/gpu-dit.sh bench   diffuse bench train --preset dit-s/2 and dit-b/2 at batch 256 on 32x32x4 random inputs beside
#                              dit.py --cfg S/2 and B/2 in tf32, bf16 and bf16-compile; then XL/2 at batch 32 (both sides),
#                              with the peak GPU memory nvidia-smi saw during each command (ONLY=dit-s/2 runs one model)
#   scripts/gpu-dit.sh train   class-conditional dit-fmnist on Fashion-MNIST (bf16), then eval (test NLL) and a sample grid
#   scripts/gpu-dit.sh profile where a training step's GPU time goes (PRESET, PRECISION): our per-call CUDA-event report, then
#                              bench/dit_profile.py's torch.profiler table for PyTorch's same step (TORCH_MODE, default
#                              PRECISION; bf16-compile for torch.compile's)
#   scripts/gpu-dit.sh text    the text DiT's CUDA parity (DiTTextCudaParityTest: f32 vs CPU, bf16 autocast vs f32), then
#                              dit-tiny + text-tiny on the captioned shapes (STEPS, default 3000) and a prompted grid
set -uo pipefail
B=.device/gpu
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/d4j
[ -x /tmp/d4j/jre3/bin/java ] || tar xJf $B/jre.txz -C /tmp/d4j
J="/tmp/d4j/jre3/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx48g -XX:+ExplicitGCInvokesConcurrent"
D="$J -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main"
export DIFFUSION4J_CACHE=/tmp/d4j/cache PYTHONUNBUFFERED=1
nvidia-smi -L

# runs "$@" while sampling the GPU's used memory; prints the peak (MiB) after the command's own output
with_peak_mem() {
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > /tmp/d4j/mem.txt &
  local smi=$!
  "$@"
  kill $smi; wait $smi 2>/dev/null
  echo "peak_gpu_mem_mib $(sort -n /tmp/d4j/mem.txt | tail -1)"
}

case "${1:-parity}" in
  parity)
    for cfg in ${CFGS:-S/2 XL/2}; do
      preset=dit-$(echo $cfg | tr 'A-Z' 'a-z'); batch=$([ $cfg = XL/2 ] && echo 4 || echo 8)
      for pr in ${PRECISIONS:-fp32 bf16}; do
        dir=/tmp/d4j/parity-${cfg/\//}-$pr
        python3 $B/bench/dit_parity.py --dit $B/bench/dit.py --cfg $cfg --precision $pr --batch $batch --out $dir 2>&1 | grep -v Warning
        $J -cp $B/diffusion4j.jar:$B/tc dev.diffusion4j.models.DiTTorchParity $dir $preset cuda $pr 2>&1 | grep -v WARNING | tail -3
        rm -rf $dir
      done
    done | tee "$OUT/dit-parity.txt"
    $J -cp $B/diffusion4j.jar:$B/tc dev.diffusion4j.models.DiTStepParity cuda 1e-4 2>&1 | grep -v WARNING | tee -a "$OUT/dit-parity.txt"
    ;;
  bench)
    for cfg in "dit-s/2 S/2 256" "dit-b/2 B/2 256" "dit-xl/2 XL/2 32"; do
      set -- $cfg
      [ -n "${ONLY:-}" ] && [ "$1" != "$ONLY" ] && continue
      for pr in ${PRECISIONS:-tf32 bf16}; do
        with_peak_mem $D bench train --preset $1 --batch $3 --precision $pr --steps 30 --warmup 10 --sample-batch 256 --sample-iters 20 \
          --device cuda 2>&1 | grep -E '^\{|^peak|^allocator' | sed "s/^/java /"
      done
      modes=${TORCH_MODES:-tf32,bf16,bf16-compile}
      for m in ${modes//,/ }; do
        with_peak_mem python3 $B/bench/dit.py --cfg $2 --batch $3 --modes $m --steps 30 2>/dev/null | grep -E '^\{|^peak' | sed "s/^/torch /"
      done
    done | tee "$OUT/dit-bench.txt"
    ;;
  train)
    STEPS=${STEPS:-3000}
    FM=$B/fmnist
    if ls $FM/*.xz >/dev/null 2>&1; then   # xz-compressed to fit the carry limit: unpack to raw IDX files (read as they are)
      FM=/tmp/d4j/fmnist; mkdir -p $FM
      for f in $B/fmnist/*; do case $f in *.xz) xz -dc $f > $FM/$(basename $f .xz) ;; *) cp $f $FM/ ;; esac; done
    fi
    $D train --data $FM --preset dit-fmnist --precision ${PRECISION:-bf16} --out /tmp/dit-fmnist --steps $STEPS --batch-size 128 \
      --lr ${LR:-3e-4} --warmup 200 --ema-decay 0.999 --log-every 100 --class-conditional \
      --sample-every $STEPS --checkpoint-every $STEPS --grid-size 100 --sample-steps 50 --device cuda 2>&1 | grep -v WARNING | tail -8
    $D eval --run /tmp/dit-fmnist --split test --count 256 --batch-size 256 --device cuda 2>&1 | grep -v WARNING | tail -3
    cp /tmp/dit-fmnist/samples/step-*.png "$OUT/dit-fmnist-grid.png"; cp /tmp/dit-fmnist/metrics.jsonl /tmp/dit-fmnist/config.json "$OUT/"
    ;;
  text)
    timeout 300 $J -jar $B/junit.jar execute --disable-banner --details=tree -cp $B/diffusion4j.jar:$B/tc \
      --select-class dev.diffusion4j.models.DiTTextCudaParityTest > "$OUT/dit-text-tests.log" 2>&1
    echo "tests rc=$?"; grep -E "text DiT|✘" "$OUT/dit-text-tests.log" | head; grep -E "tests (successful|failed)" "$OUT/dit-text-tests.log"
    STEPS=${STEPS:-3000}
    $D train --preset dit-tiny --text-encoder text-tiny --out /tmp/dit-text --steps $STEPS --batch-size 128 --lr 1e-3 --log-every 100 \
      --sample-every $STEPS --checkpoint-every $STEPS --grid-size 40 --device cuda 2>&1 | grep -v WARNING | tail -6
    $D sample --run /tmp/dit-text --prompt "a red circle on a light background" --prompt "a blue square on a dark background" \
      --prompt "a green triangle on a light background" --prompt "a yellow ring on a dark background" --guidance 3 --count 32 \
      --grid "$OUT/dit-text-prompted.png" --device cuda 2>&1 | grep -v WARNING | tail -2
    cp /tmp/dit-text/samples/step-*.png /tmp/dit-text/samples/step-*.txt /tmp/dit-text/metrics.jsonl "$OUT/"
    ;;
  profile)
    # where a DiT training step's device time goes: per-kernel / per-library-call counts and CUDA-event times
    PRESET=${PRESET:-dit-s/2}
    $J -Ddiffusion4j.cuda.profile=gpu -cp $B/diffusion4j.jar dev.diffusion4j.cli.Main bench train --preset $PRESET --batch ${BATCH:-256} \
      --precision ${PRECISION:-bf16} --steps ${PSTEPS:-10} --warmup 5 --sample-iters 2 --sample-batch 256 --device cuda 2>&1 | grep -v WARNING \
      | tee "$OUT/dit-profile.txt" | head -${LINES_SHOWN:-70}
    # the same step in PyTorch (eager, or torch.compile with TORCH_MODE=bf16-compile), kernels by CUDA time (torch.profiler)
    cfg=$(echo ${PRESET#dit-} | tr 'a-z' 'A-Z')
    python3 $B/bench/dit_profile.py --cfg $cfg --batch ${BATCH:-256} --mode ${TORCH_MODE:-${PRECISION:-bf16}} --rows ${TORCH_ROWS:-30} 2>/dev/null | tee "$OUT/dit-profile-torch.txt" | head -${LINES_SHOWN:-70}
    ;;
  cpu-shapes)
    # dit-tiny on the built-in shapes on the CPU, one 2-core slice per configuration (CONFIGS: ';'-separated option sets)
    STEPS=${STEPS:-1500}; i=0; core=${FIRST_CORE:-4}
    IFS=';' read -ra sets <<< "${CONFIGS:---lr 1e-3}"
    for opts in "${sets[@]}"; do
      ( taskset -c $core,$((core+1)) $D train --preset dit-tiny --device cpu --out /tmp/dit-shapes-$i --steps $STEPS $opts \
          --sample-every $STEPS --checkpoint-every $STEPS --grid-size 40 > /tmp/dit-shapes-$i.log 2>&1
        cp /tmp/dit-shapes-$i/samples/step-*.png "$OUT/dit-shapes-$i.png" 2>/dev/null
        { echo "## $i: $opts"; grep -v WARNING /tmp/dit-shapes-$i.log | tail -4; } > "$OUT/dit-shapes-$i.txt" ) &
      i=$((i+1)); core=$((core+2))
    done
    wait
    cat "$OUT"/dit-shapes-*.txt
    ;;
  *) echo "unknown mode '$1': use parity, bench, train, text, profile or cpu-shapes" >&2; exit 2 ;;
esac
