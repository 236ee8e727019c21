// Fills with a bit pattern of the element width (the host converts the value to the dtype).
extern "C" __global__ void fill_u16(unsigned short* p, int n, unsigned short v) { GRID_STRIDE(i, n) p[i] = v; }
extern "C" __global__ void fill_u32(unsigned int* p, int n, unsigned int v) { GRID_STRIDE(i, n) p[i] = v; }
extern "C" __global__ void fill_u64(unsigned long long* p, int n, unsigned long long v) { GRID_STRIDE(i, n) p[i] = v; }
