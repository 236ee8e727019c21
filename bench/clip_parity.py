"""The transformers side of the CLIP text parity check (run on the GPU machine by scripts/gpu-clip.sh; the Java side
is dev.diffusion4j.models.text.ClipTorchParity):

    python3 bench/clip_parity.py --vocab data/captions/emoji-bpe-2048 \
        --strings src/test/resources/dev/diffusion4j/models/text/parity-strings.json --out DIR

1. CLIPTokenizer(vocab.json, merges.txt) (transformers 5's, backed by the tokenizers library) encodes every string with padding="max_length", max_length=77, truncation=True:
   DIR/ids.json = {"max_length": 77, "ids": [[...], ...]}.
2. For each config (--configs; small: 2 layers of width 64, quick_gelu; gelu: 3 layers of width 256, gelu;
   sd1: Stable Diffusion 1.x's text encoder size, 12 layers of width 768, quick_gelu, legacy eos_token_id 2) a
   random-weight CLIPTextModel (seed 0; LayerNorm parameters and biases perturbed so that they matter) is written
   with save_pretrained to DIR/NAME (config.json, model.safetensors) and run on the first --rows id rows:
   DIR/NAME/reference-fp32.safetensors (TF32 off) and reference-bf16.safetensors (bf16 autocast), each holding
   input_ids, last_hidden_state and pooled (pooler_output), as float32.
"""
import argparse
import importlib.util
import json
import os
import sys

ftfy_installed = importlib.util.find_spec("ftfy") is not None
sys.modules["ftfy"] = None  # transformers 4's slow CLIPTokenizer would otherwise run ftfy.fix_text

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import safetensors_io  # noqa: E402


def configs(tok):
    ids = dict(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    return {
        "small": (CLIPTextConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=256, num_hidden_layers=2,
                                 num_attention_heads=2, max_position_embeddings=77, hidden_act="quick_gelu",
                                 projection_dim=64, **ids), 10_000),
        "gelu": (CLIPTextConfig(vocab_size=len(tok), hidden_size=256, intermediate_size=1024, num_hidden_layers=3,
                                num_attention_heads=4, max_position_embeddings=77, hidden_act="gelu",
                                projection_dim=256, **ids), 64),
        "sd1": (CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                               num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu",
                               projection_dim=768, bos_token_id=0, eos_token_id=2, pad_token_id=1), 32),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab", required=True, help="folder with vocab.json and merges.txt")
    ap.add_argument("--strings", required=True, help="JSON array of strings")
    ap.add_argument("--out", required=True)
    ap.add_argument("--configs", default="small,gelu,sd1")
    ap.add_argument("--rows", type=int, default=0, help="id rows per model (default: the config's own: all, 64, 32)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    tok = CLIPTokenizer(os.path.join(a.vocab, "vocab.json"), os.path.join(a.vocab, "merges.txt"))
    assert int(transformers.__version__.split(".")[0]) >= 5, "the Java tokenizer follows transformers 5's CLIPTokenizer"
    strings = json.load(open(a.strings, encoding="utf-8"))
    enc = tok(strings, padding="max_length", max_length=77, truncation=True)
    with open(os.path.join(a.out, "ids.json"), "w", encoding="utf-8") as f:
        json.dump({"max_length": 77, "ids": enc["input_ids"]}, f)
    print(json.dumps(dict(strings=len(strings), vocab=len(tok), transformers=transformers.__version__,
                          torch=torch.__version__, ftfy_installed=ftfy_installed)))

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    all_ids = torch.tensor(enc["input_ids"], dtype=torch.int64)
    for name in a.configs.split(","):
        cfg, rows = configs(tok)[name]
        torch.manual_seed(0)
        model = CLIPTextModel(cfg)
        with torch.no_grad():
            for n, p in model.named_parameters():
                if "layer_norm" in n or n.endswith(".bias"):
                    p.add_(torch.randn_like(p) * 0.1)
        model = model.cuda().eval()
        d = os.path.join(a.out, name)
        model.save_pretrained(d, safe_serialization=True)
        ids = all_ids[: (a.rows or rows)]
        for precision in ("fp32", "bf16"):
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
                out = model(input_ids=ids.cuda())
            safetensors_io.save(dict(input_ids=ids, last_hidden_state=out.last_hidden_state.float(), pooled=out.pooler_output.float()),
                                os.path.join(d, f"reference-{precision}.safetensors"))
        print(json.dumps(dict(config=name, rows=len(ids), layers=cfg.num_hidden_layers, width=cfg.hidden_size,
                              act=cfg.hidden_act, attn=getattr(model.config, "_attn_implementation", None))))


if __name__ == "__main__":
    main()
