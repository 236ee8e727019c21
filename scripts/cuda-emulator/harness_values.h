// Host-side values of the kernels' storage types for the harnesses (include after kern.inc, which defines bf16).
#pragma once
template <class T> static double val(T v);
template <> double val<float>(float v) { return v; }
template <> double val<bf16>(bf16 v) { return bf(v.x); }
template <class T> static T mk(double f);
template <> float mk<float>(double f) { return (float)f; }
template <> bf16 mk<bf16>(double f) { bf16 r; r.x = emu_bf16((float)f); return r; }
