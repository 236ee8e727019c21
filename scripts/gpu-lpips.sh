#!/bin/bash
# LPIPS (the perceptual loss of train-autoencoder) on the lent GPU machine, from the repository root with the bundle in
# .device/gpu (scripts/gpu-bundle.sh: JRE, shaded jar, test classes). bench/lpips_parity.py is read from the checkout and
# needs only torch (torchvision is used when importable). Results go to $OUT.
#   scripts/gpu-lpips.sh   PyTorch vs Java on the same random VGG16 / LPIPS weights (written with torch.save, read by
#                          Lpips.load): 64x64 and 256x256 pairs, distances and input gradient, f32 (TF32 off) and bf16
#                          autocast on CUDA, the CPU and float64 at 64x64; then LpipsCudaParityTest (CUDA vs CPU)
XMX=48g source "$(dirname "$0")/gpu-env.sh"
python3 -c "import torch; print('torch', torch.__version__)" || exit 1
for size in ${SIZES:-64 256}; do
  dir=/tmp/d4j/lpips-parity-$size
  python3 bench/lpips_parity.py $dir --device cuda --size $size --batch 2 2>&1 | grep -v Warning
  for dev in cuda $([ $size -le 64 ] && echo cpu); do   # the CPU (and its float64 check) at 64x64 only
    $J -cp $CP dev.diffusion4j.models.lpips.LpipsTorchParity $dir $dev > /tmp/d4j/lpips.log 2>&1
    echo "LpipsTorchParity $size $dev rc=$?"; grep -v WARNING /tmp/d4j/lpips.log
  done
  rm -rf $dir
done | tee "$OUT/lpips-parity.txt"
timeout 300 $J -jar $B/junit.jar execute --disable-banner --details=tree -cp $CP \
  --select-class dev.diffusion4j.models.lpips.LpipsCudaParityTest > "$OUT/lpips-cuda-tests.log" 2>&1
echo "LpipsCudaParityTest rc=$?" | tee -a "$OUT/lpips-parity.txt"; grep -E "lpips cuda|✘|tests (successful|failed)" "$OUT/lpips-cuda-tests.log"
