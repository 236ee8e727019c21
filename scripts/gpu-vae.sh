#!/bin/bash
# Autoencoders on the lent GPU machine (issue 15), from the repository root with the bundle in .device/gpu
# (scripts/gpu-bundle.sh: JRE, shaded jar, test classes) and the diffusers source in .device/diffusers (its src/ goes on
# PYTHONPATH). bench/vae_parity.py is read from the checkout. Results go to $OUT.
#   scripts/gpu-vae.sh parity  diffusers vs Java on the same weights (a randomly initialised diffusers model saved with
#                              save_pretrained, loaded by our DiffusersFolder): AutoencoderKL of SD's layout (256x256, batch 2)
#                              and a small VQModel (64x64): encode and decode outputs, f32 and bf16 autocast; then the
#                              CPU-vs-CUDA autoencoder parity tests (forward and backward)
#   scripts/gpu-vae.sh bench   decode of [B, 4, 64, 64] latents (512x512 images) with the SD layout, B = 1 and 8,
#                              fp32 / tf32 / bf16, Java (AutoencoderDecodeBench) beside diffusers on the same GPU
XMX=48g source "$(dirname "$0")/gpu-env.sh"
need_diffusers

case "${1:-parity}" in
  parity)
    for kind in ${KINDS:-kl vq}; do
      dir=/tmp/d4j/vae-parity-$kind
      python3 bench/vae_parity.py parity --kind $kind --out $dir 2>&1 | grep -v Warning
      $J -cp $CP dev.diffusion4j.models.autoencoder.AutoencoderTorchParity $dir $kind cuda > /tmp/d4j/parity.log 2>&1
      echo "AutoencoderTorchParity $kind rc=$?"; grep -v WARNING /tmp/d4j/parity.log
      rm -rf $dir
    done | tee "$OUT/vae-parity.txt"
    timeout 300 $J -jar $B/junit.jar execute --disable-banner --details=tree -cp $CP \
      --select-class dev.diffusion4j.models.autoencoder.AutoencoderCudaParityTest > "$OUT/vae-cuda-tests.log" 2>&1
    echo "AutoencoderCudaParityTest rc=$?" | tee -a "$OUT/vae-parity.txt"; grep -E "✘|tests (successful|failed)" "$OUT/vae-cuda-tests.log"
    ;;
  bench)
    $J -cp $CP dev.diffusion4j.models.autoencoder.AutoencoderDecodeBench cuda ${BATCHES:-1,8} ${MODES:-fp32,tf32,bf16} 2>&1 \
      | grep -v WARNING | tee "$OUT/vae-bench-java.log" | grep '^{' | tee "$OUT/vae-bench.txt"
    python3 bench/vae_parity.py bench --batches ${BATCHES:-1,8} --modes ${MODES:-fp32,tf32,bf16} 2>/dev/null | grep '^{' | tee -a "$OUT/vae-bench.txt"
    ;;
  *) echo "unknown mode '$1': use parity or bench" >&2; exit 2 ;;
esac
