"""An independent numpy forward of transformers' CLIPTextModel (float64), for checking ClipTextModel on machines
without torch: reads DIR/config.json, DIR/model.safetensors and DIR/input_ids.safetensors and writes
DIR/reference-fp32.safetensors (input_ids, last_hidden_state, pooled as float32), the file ClipTorchParity and
ClipTextModelTest compare with.

    python3 bench/clip_numpy_reference.py DIR
"""
import math
import json, struct, numpy as np, sys
d = sys.argv[1]
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8+n]); base = 8 + n; out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        s, e = v["data_offsets"]; dt = {"F32": np.float32, "I64": np.int64}[v["dtype"]]
        out[k] = np.frombuffer(b[base+s:base+e], dtype=dt).reshape(v["shape"]).astype(np.float64 if dt == np.float32 else np.int64)
    return out
w = load(d + "/model.safetensors"); ref = load(d + "/input_ids.safetensors"); c = json.load(open(d + "/config.json"))
ids = ref["input_ids"]; N, L = ids.shape; D = c["hidden_size"]; H = c["num_attention_heads"]; hd = D // H
def ln(x, p): m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True); return (x - m) / np.sqrt(v + c["layer_norm_eps"]) * w[p + ".weight"] + w[p + ".bias"]
def lin(x, p): return x @ w[p + ".weight"].T + w[p + ".bias"]
x = w["text_model.embeddings.token_embedding.weight"][ids] + w["text_model.embeddings.position_embedding.weight"][:L]
mask = np.triu(np.full((L, L), -np.inf), 1)
for i in range(c["num_hidden_layers"]):
    p = f"text_model.encoder.layers.{i}."
    h = ln(x, p + "layer_norm1")
    q = (lin(h, p + "self_attn.q_proj") * hd ** -0.5).reshape(N, L, H, hd).transpose(0, 2, 1, 3)
    k = lin(h, p + "self_attn.k_proj").reshape(N, L, H, hd).transpose(0, 2, 1, 3)
    v = lin(h, p + "self_attn.v_proj").reshape(N, L, H, hd).transpose(0, 2, 1, 3)
    s = q @ k.transpose(0, 1, 3, 2) + mask; s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
    o = (s @ v).transpose(0, 2, 1, 3).reshape(N, L, D)
    x = x + lin(o, p + "self_attn.out_proj")
    h = lin(ln(x, p + "layer_norm2"), p + "mlp.fc1")
    if c["hidden_act"] == "quick_gelu":
        h = h * (1 / (1 + np.exp(-1.702 * h)))
    elif c["hidden_act"] == "gelu":
        h = 0.5 * h * (1 + np.vectorize(math.erf)(h / math.sqrt(2)))
    else:
        h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))
    x = x + lin(h, p + "mlp.fc2")
x = ln(x, "text_model.final_layer_norm")
eos = c["eos_token_id"]
pos = ids.argmax(-1) if eos == 2 else (ids == eos).astype(int).argmax(-1)
pooled = x[np.arange(N), pos]
def save(path, tensors):
    header, blobs, off = {}, [], 0
    for k, a in tensors.items():
        a = np.ascontiguousarray(a.astype(np.int64 if a.dtype == np.int64 else np.float32))
        b = a.tobytes()
        header[k] = {"dtype": "I64" if a.dtype == np.int64 else "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(header).encode(); h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs: f.write(b)
save(d + "/reference-fp32.safetensors", {"input_ids": ids, "last_hidden_state": x, "pooled": pooled})
print(d, "last_hidden_state", x.shape, "pooled", pooled.shape)
