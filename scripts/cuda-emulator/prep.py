# Turns common.cuh + a kernel family (argv[3], default attention_mma; from the kernels folder argv[1]) into host C++ for
# the SIMT emulator, written to argv[2]: the inline PTX (cvt, mma.sync, %dynamic_smem_size) becomes calls into
# emu_shim.h, which supplies the CUDA pieces.
import re, sys
K = sys.argv[1]
common = open(K + 'common.cuh').read()
family = sys.argv[3] if len(sys.argv) > 3 else 'attention_mma'
src = open(K + family + '.cu').read()
# keep from common.cuh only what attention_mma.cu uses
start = common.index('struct bf16')
common = common[start:]
if family == 'attention_mma':   # it needs nothing after require_smem_bytes
    common = common[:common.index('// A strided iteration space')]
s = common + '\n' + src
s = s.replace('asm volatile("mov.u32 %0, %%dynamic_smem_size;" : "=r"(have));', 'have = emu_smem_size;')
s = s.replace('asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));', 'r = emu_pack_bf16(hi, lo);')
s = s.replace('asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(f));', 'r = emu_tf32(f);')
s = re.sub(r'asm volatile\("mma\.sync\.aligned\.m16n8k16[^;]*;"[^;]*;', 'emu_mma(c, a, b, 16);', s, flags=re.S)
s = re.sub(r'asm volatile\("mma\.sync\.aligned\.m16n8k8[^;]*;"[^;]*;', 'emu_mma(c, a, b, 8);', s, flags=re.S)
s = s.replace('asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));', 'f = 0;').replace('asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));', 'h = 0;')
# cp.async copies at once (the kernel waits for them before any use); ldmatrix gathers through emu_ldsm_x4 and emu_ldsm_x4_trans
s = re.sub(r'__device__ __forceinline__ void cp_async16\(.*?\n}\n',
           'inline void cp_async16(u16* dst, const u16* src, bool in) { if (in) memcpy(dst, src, 16); else memset(dst, 0, 16); }\n', s, flags=re.S)
s = s.replace('asm volatile("cp.async.commit_group;");', '').replace('asm volatile("cp.async.wait_group %0;" :: "n"(N));', '')
s = re.sub(r'__device__ __forceinline__ void ldsm_x4\(.*?\n}\n',
           'inline void ldsm_x4(unsigned int (&r)[4], const u16* p) { emu_ldsm_x4(r, p); }\n', s, flags=re.S)
s = re.sub(r'__device__ __forceinline__ void ldsm_x4_trans\(.*?\n}\n',
           'inline void ldsm_x4_trans(unsigned int (&r)[4], const u16* p) { emu_ldsm_x4_trans(r, p); }\n', s, flags=re.S)
s = re.sub(r'extern "C" __global__ void __launch_bounds__\(NTHREADS\)', 'void', s)
s = s.replace('extern __shared__ __align__(16) unsigned char smem_raw[];', '')
s = s.replace('extern "C" __global__ void', 'void').replace('__shared__ ', 'static ')
open(sys.argv[2], 'w').write(s)
